// The one shape of a command module: a Decider (the decide/evolve pattern). A stream's state starts at `initial`, each
// stored event moves it on with `evolve`, and `decide` answers a command on the state with the events to append — none
// when the command changes nothing (a duplicate, a repeated close, a lock released by someone else) — or with why it
// is refused, as a value: expected refusals are answers, not throws. Pure: time, ids and configuration arrive in the
// command, so the same state and command always decide the same events (with the same ids, which is what makes a
// retried append harmless).
//
// The loop around it is I/O (src/handling): read the stream named by `stream(key)`, fold it from `initial(key)`,
// decide, append at the revision read, and on a clash read and decide again.
import type { DomainError, ProposedEvent } from '../schemas/index.js';

export interface Decider<State, Command, Stored, Refusal = DomainError, Key = string> {
  /** The stream a key's events live in (a contract id, a mapping kind, a legal entity). */
  stream(key: Key): string;
  /** The state of a stream that holds no event yet. */
  initial(key: Key): State;
  /** The state after one more stored event; the state given is left as it was. */
  evolve(state: State, event: Stored): State;
  /** The events the command appends (an empty list: nothing changes), or why it is refused. */
  decide(state: State, command: Command): ProposedEvent[] | Refusal;
}

/** Whether a decision accepted the command (its events may be none) rather than refusing it. */
export function accepted<Refusal>(decided: ProposedEvent[] | Refusal): decided is ProposedEvent[] {
  return Array.isArray(decided);
}
