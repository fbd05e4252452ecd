/**
 * Erlang C: how many call handlers an hour needs so that a share of calls (80 %) is
 * answered within a target time (20 s), given the calls arriving and how long each takes.
 * Pure. Probabilities are built up term by term, so no factorial ever overflows.
 */

export interface StaffingTarget {
  /** Calls arriving per hour. */
  callsPerHour: number;
  /** Average handling time of a call, in seconds. */
  handleSeconds: number;
  /** Answered within this many seconds... */
  targetSeconds: number;
  /** ...for at least this share of calls (0–1). */
  serviceLevel: number;
}

/** Traffic intensity in Erlangs: hours of calling arriving per hour. */
export function trafficIntensity(callsPerHour: number, handleSeconds: number): number {
  return (callsPerHour * handleSeconds) / 3600;
}

/** The probability that a call waits at all, with `agents` handlers and `erlangs` of traffic (Erlang C). */
export function probabilityOfWaiting(erlangs: number, agents: number): number {
  if (agents <= erlangs) return 1;
  // sum_{k<N} A^k/k!, and A^N/N!, built iteratively.
  let term = 1;
  let sum = 0;
  for (let k = 0; k < agents; k += 1) {
    sum += term;
    term = (term * erlangs) / (k + 1);
  }
  const top = term * (agents / (agents - erlangs));
  return top / (sum + top);
}

/** The share of calls answered within the target time. */
export function serviceLevel(erlangs: number, agents: number, handleSeconds: number, targetSeconds: number): number {
  if (agents <= erlangs) return 0;
  return 1 - probabilityOfWaiting(erlangs, agents) * Math.exp((-(agents - erlangs) * targetSeconds) / handleSeconds);
}

/** Average speed of answer, in seconds. */
export function averageSpeedOfAnswer(erlangs: number, agents: number, handleSeconds: number): number {
  if (agents <= erlangs) return Infinity;
  return (probabilityOfWaiting(erlangs, agents) * handleSeconds) / (agents - erlangs);
}

/** The fewest handlers meeting the target (0 when no calls come). */
export function handlersNeeded(target: StaffingTarget): { handlers: number; erlangs: number; serviceLevel: number } {
  const erlangs = trafficIntensity(target.callsPerHour, target.handleSeconds);
  if (erlangs === 0) return { handlers: 0, erlangs, serviceLevel: 1 };
  let agents = Math.max(1, Math.floor(erlangs) + 1);
  while (serviceLevel(erlangs, agents, target.handleSeconds, target.targetSeconds) < target.serviceLevel) agents += 1;
  return { handlers: agents, erlangs, serviceLevel: serviceLevel(erlangs, agents, target.handleSeconds, target.targetSeconds) };
}
