import { GroupCommitter, type Pending } from './group-commit';

interface Request {
  readonly key: string;
  readonly n: number;
}

/** A committer whose groups stay open until the test releases them; it notes any key committed twice at once. */
const harness = (options: { maxGroupSize?: number; maxConcurrentGroups?: number }, keys: string[] = []) => {
  const groups: number[][] = [];
  const open: (() => void)[] = [];
  const inFlight = new Set<string>();
  const overlaps: string[] = [];
  const committer = new GroupCommitter<Request, number>(
    async (group: Pending<Request, number>[]) => {
      groups.push(group.map(({ request }) => request.n));
      for (const { request } of group) {
        if (inFlight.has(request.key)) overlaps.push(request.key);
        inFlight.add(request.key);
      }
      await new Promise<void>((release) => open.push(release));
      for (const { request } of group) inFlight.delete(request.key);
      for (const pending of group) pending.resolve(pending.request.n);
    },
    (request) => request.key,
    options,
  );
  const submitAll = () => Promise.all(keys.map((key, n) => committer.submit({ key, n })));
  const releaseAll = async () => {
    while (open.length > 0) {
      open.splice(0).forEach((release) => release());
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { committer, groups, overlaps, submitAll, releaseAll };
};

describe('GroupCommitter', () => {
  it('starts a lone request at once, in a group of its own', () => {
    const { committer, groups } = harness({});
    void committer.submit({ key: 'a', n: 1 });
    expect(groups).toEqual([[1]]);
  });

  it('groups what queued behind busy committers, up to the group size, in arrival order', async () => {
    const { committer, groups, releaseAll } = harness({ maxGroupSize: 3, maxConcurrentGroups: 2 });
    const results = Promise.all(Array.from({ length: 9 }, (_, n) => committer.submit({ key: `k${n}`, n })));
    expect(groups).toEqual([[0], [1]]);
    await releaseAll();
    expect(await results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(groups).toEqual([[0], [1], [2, 3, 4], [5, 6, 7], [8]]);
    await committer.idle();
  });

  it('runs requests with the same key one at a time, in arrival order', async () => {
    const keys = ['a', 'a', 'b', 'a', 'b', 'c', 'a'];
    for (const maxConcurrentGroups of [1, 3]) {
      const { groups, overlaps, submitAll, releaseAll } = harness({ maxConcurrentGroups }, keys);
      const results = submitAll();
      await releaseAll();
      expect(await results).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(overlaps).toEqual([]);
      const order = (key: string) => groups.flat().filter((n) => keys[n] === key);
      expect(order('a')).toEqual([0, 1, 3, 6]);
      expect(order('b')).toEqual([2, 4]);
      if (maxConcurrentGroups === 1) expect(groups).toEqual([[0], [1, 2, 5], [3, 4], [6]]);
    }
  });

  it('rejects the members of a group whose commit throws, and carries on', async () => {
    let fail = true;
    const committer = new GroupCommitter<Request, number>(
      async (group) => {
        await Promise.resolve();
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
        for (const pending of group) pending.resolve(pending.request.n);
      },
      (request) => request.key,
      { maxConcurrentGroups: 1 },
    );
    const first = committer.submit({ key: 'a', n: 1 });
    const second = committer.submit({ key: 'b', n: 2 });
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe(2);
  });
});
