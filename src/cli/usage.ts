// A command line that cannot be run as given: the CLI prints the message and exits 2, having done nothing.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXCEPTIONS_USAGE = `  exceptions list [--kind K] [--entity LE] [--status S] [--owner O] [--min-age-hours H] [--min-amount A]
                  [--sort impact|age] [--limit N] [--offset N]
                     exceptions as work items, largest amount at stake first (--sort age: oldest first; status: open,
                     acknowledged, resolved, ignored, active (default) or all; kind: a kind or a code)
  exceptions show ID | assign ID --owner NAME | ack ID | resolve ID [--reason R] | ignore ID --reason R | note ID --text T
                     read or act on one exception (--actor NAME, default cli); exit 3 when refused
  exceptions rejections [--day YYYY-MM-DD] [--system S] [--code C]
                     refused inputs, newest first, with the replay count
  exceptions replay REJECTION_ID [--corrected FILE]
                     resubmit a refused input as it was (after a fix), or corrected (FILE: one inbound event, JSON)`;

export const MAPPINGS_USAGE = `  mappings publish KIND --file FILE [--reason R] [--based-on N] [--actor NAME]
                     publish a new version of a mapping (KIND: products, accounts or entities, the entity register)
                     from a JSON file shaped as POST /v1/mappings/KIND takes it; --reason and --based-on override the
                     file's; exit 3 when refused (STALE_VERSION, CURRENCY_CONFLICT...), 2 when the file is invalid
  mappings show KIND [--version N]
                     the version in force (or version N), with who published it, when and why
  mappings versions KIND
                     every published version, newest first, without its entries`;

export const EVIDENCE_USAGE = `  evidence --legal-entity LE --period YYYY-MM [--out FILE]
                     the audit evidence pack of a legal entity's period (ZIP: reconciliation, waterfall, roll-forward
                     and journals as CSV and XLSX, every journal's lineage, verify and the log's anchor, a SHA-256
                     manifest), the same bytes as GET /v1/evidence; to FILE or stdout; exit 3 when the pack was written
                     but the log failed verification (verify.json says where), exit 1 (the rule on stderr) when the
                     period is over a pack's bounds`;
