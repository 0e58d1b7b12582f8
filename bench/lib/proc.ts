/**
 * Process memory from /proc (Linux): current RSS (VmRSS) and the high-water mark
 * (VmHWM), for this process or a child, plus a sampler that follows a child while
 * it runs. On other systems the readings are null and the bench says so.
 */
import { readFileSync } from 'node:fs';

export interface MemoryReading {
  rssBytes: number | null;
  peakRssBytes: number | null;
}

export function readMemory(pid: number | 'self' = 'self'): MemoryReading {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssBytes: field(status, 'VmRSS'), peakRssBytes: field(status, 'VmHWM') };
  } catch {
    return { rssBytes: null, peakRssBytes: null };
  }
}

function field(status: string, name: string): number | null {
  const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

export interface RssSampler {
  /** Stops sampling; returns the peak seen (VmHWM when readable) and the mean RSS. */
  stop(): RssSamples;
}

export interface RssSamples {
  peakRssBytes: number | null;
  meanRssBytes: number | null;
  samples: number;
}

/**
 * Samples a process's RSS every `intervalMs`. VmHWM is the kernel's own peak, so
 * the peak is exact even between samples, as long as one sample lands before exit.
 */
export function sampleRss(pid: number, intervalMs = 100): RssSampler {
  let peak: number | null = null;
  let sum = 0;
  let count = 0;
  const take = () => {
    const reading = readMemory(pid);
    if (reading.rssBytes !== null) {
      sum += reading.rssBytes;
      count++;
    }
    const high = reading.peakRssBytes ?? reading.rssBytes;
    if (high !== null) peak = Math.max(peak ?? 0, high);
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peakRssBytes: peak, meanRssBytes: count > 0 ? Math.round(sum / count) : null, samples: count };
    },
  };
}

export function mib(bytes: number | null | undefined): number | null {
  return bytes == null ? null : Math.round((bytes / (1024 * 1024)) * 10) / 10;
}
