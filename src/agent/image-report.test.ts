import { describe, expect, it } from 'vitest';
import type { NodeImage } from '../model/node-images.js';
import { startImageReport } from './image-report.js';

const img = (name: string): NodeImage => ({ names: [name], sizeBytes: 1 });
const settle = () => new Promise((r) => setTimeout(r, 20));

describe("the Node's image list", () => {
  it('is sent once connected and again only when it changed; a failed send is tried again', async () => {
    let now: NodeImage[] = [img('localhost/a:1')];
    const sent: NodeImage[][] = [];
    let failNext = false;
    const wakes: boolean[] = [];
    const report = startImageReport({
      list: async (wake) => {
        wakes.push(wake);
        return now;
      },
      send: async (list) => {
        if (failNext) {
          failNext = false;
          throw new Error('server away');
        }
        sent.push(list);
      },
      intervalMs: 60_000,
      log: () => undefined,
    });
    try {
      await settle();
      report.refresh();
      await settle();
      expect(sent).toEqual([[img('localhost/a:1')]]);
      now = [img('localhost/a:1'), img('localhost/b:1')];
      failNext = true;
      report.refresh();
      await settle();
      expect(sent).toHaveLength(1);
      report.refresh();
      await settle();
      expect(sent.at(-1)).toEqual(now);
      expect(wakes.every((w) => w)).toBe(true);
    } finally {
      report.stop();
    }
  });

  it('looks on its timer without waking the engine; only the first look (and a refresh) may wake it', async () => {
    const wakes: boolean[] = [];
    const report = startImageReport({ list: async (wake) => void wakes.push(wake), send: async () => undefined, intervalMs: 5, log: () => undefined });
    await new Promise((r) => setTimeout(r, 40));
    report.stop();
    expect(wakes[0]).toBe(true);
    expect(wakes.length).toBeGreaterThan(2);
    expect(wakes.slice(1).every((w) => !w)).toBe(true);
  });
});
