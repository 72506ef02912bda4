// `npm run lint`: Biome checks lint rules and formatting in one pass (`npx biome check --write .` fixes most).
import { execFileSync } from 'node:child_process';

try {
  execFileSync('npx', ['biome', 'check', '--error-on-warnings', '.'], { stdio: 'inherit' });
} catch {
  console.error("Lint or format problems: run 'npx biome check --write .' and review the changes.");
  process.exit(1);
}
