import { vi } from 'vitest';

/** A parsed output line: a Powertools log entry or an EMF metrics blob. */
// biome-ignore lint/suspicious/noExplicitAny: stdout lines are arbitrary JSON.
export type JsonLine = Record<string, any>;

/**
 * Captures (and silences) what Powertools Logger and Metrics write to stdout and stderr (warnings
 * and errors), so tests assert on the real structured logs and EMF output, not on mocks of them.
 */
export function captureOutput() {
  const lines: string[] = [];
  const collect = ((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  }) as typeof process.stdout.write;
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation(collect),
  ];
  const json = (): JsonLine[] =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as JsonLine];
      } catch {
        return [];
      }
    });
  return {
    json,
    logs: () => json().filter((l) => 'level' in l),
    emf: () => json().filter((l) => '_aws' in l),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/**
 * Values of metric `name` across EMF blobs whose dimension set is exactly `dimensions` (names),
 * each with the blob's dimension values.
 */
export function metricValues(
  emf: readonly JsonLine[],
  name: string,
  dimensions: readonly string[],
): { value: number; dims: Record<string, string> }[] {
  const wanted = [...dimensions].sort().join(',');
  return emf.flatMap((blob) => {
    const directive = blob._aws.CloudWatchMetrics[0];
    const hasMetric = directive.Metrics.some((m: { Name: string }) => m.Name === name);
    const sets = (directive.Dimensions as string[][]).map((set) => [...set].sort().join(','));
    if (!hasMetric || !sets.includes(wanted)) return [];
    const dims = Object.fromEntries(dimensions.map((d) => [d, blob[d] as string]));
    const raw = blob[name] as number | number[];
    return (Array.isArray(raw) ? raw : [raw]).map((value) => ({ value, dims }));
  });
}
