import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type ElectronLookup = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Finds a usable Electron binary and display. The electron package's postinstall (which
 * downloads the binary) is disabled on purpose, so a missing binary is a normal situation.
 */
export function findElectron(root: string, env: NodeJS.ProcessEnv, platform: string = process.platform): ElectronLookup {
  let binary: unknown;
  try {
    binary = createRequire(join(root, 'package.json'))('electron');
  } catch {
    return {
      ok: false,
      reason: 'the Electron binary is not installed (its download is disabled in package.json allowScripts)',
    };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) {
    return { ok: false, reason: `the Electron binary is missing (expected at ${String(binary)})` };
  }
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { ok: false, reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  return { ok: true, path: binary };
}

/** Runs Electron on the built app until it exits; resolves with its exit code. */
export function runElectron(binary: string, root: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...env };
    // Inherited from some shells/IDEs, it would make Electron behave as plain Node.
    delete childEnv.ELECTRON_RUN_AS_NODE;
    const child = spawn(binary, [root], { stdio: 'inherit', env: childEnv });
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const cleanup = (): void => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    };
    child.on('error', (err) => {
      cleanup();
      reject(new Error(`could not start Electron (${binary}): ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      cleanup();
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
