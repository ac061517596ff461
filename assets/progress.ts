/**
 * How the sync shows progress: a progress bar on a terminal (cli-progress), one line per upload
 * otherwise (CI logs), so both read well.
 */
import { SingleBar } from 'cli-progress';
import { formatBytes } from './report.js';
import type { SyncReporter } from './sync.js';

/** Plain lines: `uploaded css/app-3f2a9c.css (12.0 KiB)`. */
export function lineReporter(write: (line: string) => void): SyncReporter {
  return {
    line: write,
    start(files, bytes) {
      if (files > 0)
        write(`uploading ${files} ${files === 1 ? 'file' : 'files'} (${formatBytes(bytes)}) ...`);
    },
    uploaded(key, bytes) {
      write(`uploaded ${key} (${formatBytes(bytes)})`);
    },
    stop() {},
  };
}

/** A bar of files and bytes on `stream`, redrawn in place. */
export function barReporter(stream: NodeJS.WriteStream): SyncReporter {
  const bar = new SingleBar({
    format: 'uploading [{bar}] {value}/{total} files | {done} of {size} | {last}',
    stream,
    hideCursor: true,
    clearOnComplete: false,
    barsize: 30,
  });
  let done = 0;
  let size = 0;
  let started = false;
  return {
    line: (text) => stream.write(`${text}\n`),
    start(files, bytes) {
      if (files === 0) return;
      size = bytes;
      started = true;
      bar.start(files, 0, { done: formatBytes(0), size: formatBytes(size), last: '' });
    },
    uploaded(key, bytes) {
      done += bytes;
      bar.increment(1, { done: formatBytes(done), size: formatBytes(size), last: key });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
