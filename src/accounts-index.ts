// The accounts sub-action's entry point: the runner executes dist/accounts/index.js, built from this file.
import { runAccounts } from './accounts-main.js';

await runAccounts();
