import { describe, expect, it } from 'vitest';
import { DeadlineSchedule } from '../../../src/app/registration/DeadlineSchedule.ts';

describe('DeadlineSchedule', () => {
  it('takes due keys earliest first, by their current deadline, and looks only at the entries of the seconds passed', () => {
    const schedule = new DeadlineSchedule();
    const deadlines = new Map<string, number>();
    const set = (key: string, deadlineMs: number): void => {
      deadlines.set(key, deadlineMs);
      schedule.schedule(key, deadlineMs);
    };
    for (let index = 0; index < 10_000; index++) set(`far-${index}`, 3_600_000 + index);
    set('c', 30_000);
    set('a', 10_500);
    set('b', 20_000);
    set('renewed', 15_000);
    set('renewed', 60_000);
    const due = schedule.takeDue(35_000, (key) => deadlines.get(key));
    expect(due.due).toEqual(['a', 'b', 'c']);
    // The three due and the renewed one's entry, carried to its new second: none of the 10,000 far ones.
    expect(due.examined).toBe(4);
    // 'a' and 'b' expired; 'c' did not (its expiry failed): a key taken is looked at again the next second.
    deadlines.delete('a');
    deadlines.delete('b');
    expect(schedule.takeDue(36_000, (key) => deadlines.get(key))).toEqual({ due: ['c'], examined: 3 });
    deadlines.delete('c');
    expect(schedule.takeDue(59_999, (key) => deadlines.get(key))).toEqual({ due: [], examined: 1 });
    expect(schedule.takeDue(60_000, (key) => deadlines.get(key))).toEqual({ due: ['renewed'], examined: 1 });
    expect(schedule.size).toBe(10_001);
  });

  it('skips keys unscheduled or whose deadline is gone, and moves a deadline made earlier', () => {
    const schedule = new DeadlineSchedule();
    const deadlines = new Map<string, number>([['gone', 5_000], ['ended', 5_000], ['sooner', 2_000]]);
    schedule.schedule('gone', 5_000);
    schedule.schedule('ended', 5_000);
    schedule.schedule('sooner', 9_000);
    schedule.schedule('sooner', 2_000);
    schedule.unschedule('ended');
    deadlines.delete('gone');
    expect(schedule.takeDue(2_000, (key) => deadlines.get(key)).due).toEqual(['sooner']);
    schedule.unschedule('sooner');
    expect(schedule.takeDue(10_000, (key) => deadlines.get(key))).toEqual({ due: [], examined: 4 });
    expect(schedule.size).toBe(0);
    expect(schedule.entries).toBe(0);
  });

  it('holds at most twice the keys scheduled plus a constant, however often deadlines move earlier or keys end', () => {
    const schedule = new DeadlineSchedule();
    for (let index = 0; index < 1_000; index++) schedule.schedule(`key-${index}`, 86_400_000);
    for (let round = 0; round < 50; round++) {
      for (let index = 0; index < 1_000; index++) schedule.schedule(`key-${index}`, 86_400_000 - round * 1000);
      for (let index = 0; index < 1_000; index++) schedule.unschedule(`gone-${round}-${index}`);
      schedule.schedule(`short-${round}`, 1000);
      schedule.unschedule(`short-${round}`);
      expect(schedule.entries).toBeLessThanOrEqual(2 * schedule.size + 1_024);
    }
    expect(schedule.size).toBe(1_000);
  });
});
