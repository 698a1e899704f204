import leven from 'leven';

/**
 * The candidate closest to `input` by edit distance, if it is close enough to be a plausible typo
 * (one edit for names of up to 3 characters, else at most a third of the longer length but at least 2, so a
 * swapped pair of letters counts). Comparison ignores case.
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const needle = input.toLowerCase();
  for (const candidate of candidates) {
    const distance = leven(needle, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  const longer = Math.max(input.length, best.length);
  const allowed = longer <= 3 ? 1 : Math.max(2, Math.floor(longer / 3));
  return bestDistance <= allowed ? best : undefined;
}
