// The revenue engine's public face: compute a contract's ASC 606 schedule from its stored facts and the mappings.
export { computeSchedule } from './engine.js';
export { LastSchedules } from './last-schedule.js';
export { ScheduleBudgetExceededError } from './types.js';
export type {
  ContractEvent,
  ExceptionCode,
  Obligation,
  Schedule,
  ScheduleException,
  ScheduleInput,
  ScheduleLineage,
  SchedulePeriod,
} from './types.js';
export { recognisedThrough, revenueByYear } from './totals.js';
export { allocateLargestRemainder, dec, formatMoney, roundMoney, sumMoney } from './money.js';
export type { Dec } from './money.js';
export { balancesOf, billedByGroup, presentationGroups } from './balances.js';
export type { BillingEntry, PeriodBalance } from './balances.js';
export { diffSchedules } from './diff.js';
export { changeOf, negateMoney } from './money.js';
export { ZERO, minus, plus } from './money.js';
export { monthEnd, monthOf, monthsBetween, nextMonth, previousMonth } from './calendar.js';
