// check's options, for its --help: cli.ts shows them without loading check (or commander) itself.

export const CHECK_HELP = `
Check options:
  --max-age AGE               CRITICAL when a backup set's newest good backup is older (default 26h)
  --warning-age AGE           WARNING when older than this
  --max-verified-age AGE      CRITICAL when no backup younger than this has passed verify
  --warning-verified-age AGE  WARNING when no backup younger than this has passed verify
  --destination DIR           also look at ZRM's backups under DIR (<DIR>/<set>/<timestamp>/); repeatable
  --set NAME                  only this backup set; repeatable (default: every set seen)
  -c, --config FILE           settings file (its [state] dir holds the run history)
AGE: 26h, 8d, 90m, 1w, 3600s or plain seconds.
Exit status (Nagios): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
`;
