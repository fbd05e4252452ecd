import { describe, expect, it } from 'vitest';
import { averageSpeedOfAnswer, handlersNeeded, probabilityOfWaiting, serviceLevel, trafficIntensity } from './erlang.js';

/**
 * The worked example in Call Centre Helper, "Erlang C Formula – Made Simple With an Easy
 * Worked Example" (callcentrehelper.com): 100 calls in 30 minutes, 180 s average handling
 * time, 80 % of calls answered within 20 s. Traffic intensity 10 Erlangs; with 11 agents
 * the probability a call waits is 68.21 % and 39 % are answered in time; 14 agents are
 * needed for 80 % (88.8 %), before shrinkage.
 */
describe('Erlang C, against a published worked example', () => {
  const erlangs = trafficIntensity(200, 180);

  it('computes the traffic intensity', () => {
    expect(erlangs).toBe(10);
  });

  it('gives the published probability of waiting and service level for 11 to 14 agents', () => {
    expect(probabilityOfWaiting(erlangs, 11)).toBeCloseTo(0.6821, 4);
    expect(serviceLevel(erlangs, 11, 180, 20)).toBeCloseTo(0.3896, 3);
    expect(serviceLevel(erlangs, 12, 180, 20)).toBeCloseTo(0.6402, 3);
    expect(serviceLevel(erlangs, 13, 180, 20)).toBeCloseTo(0.7956, 3);
    expect(serviceLevel(erlangs, 14, 180, 20)).toBeCloseTo(0.8884, 3);
    expect(averageSpeedOfAnswer(erlangs, 14, 180)).toBeCloseTo(7.8, 1);
  });

  it('needs 14 handlers for 80 % in 20 seconds', () => {
    expect(handlersNeeded({ callsPerHour: 200, handleSeconds: 180, targetSeconds: 20, serviceLevel: 0.8 }).handlers).toBe(14);
  });

  it('needs none for no calls, and stays finite for heavy traffic', () => {
    expect(handlersNeeded({ callsPerHour: 0, handleSeconds: 600, targetSeconds: 20, serviceLevel: 0.8 }).handlers).toBe(0);
    const big = handlersNeeded({ callsPerHour: 3000, handleSeconds: 600, targetSeconds: 20, serviceLevel: 0.8 });
    expect(big.handlers).toBeGreaterThan(500);
    expect(big.serviceLevel).toBeGreaterThanOrEqual(0.8);
    expect(probabilityOfWaiting(10, 10)).toBe(1);
  });
});
