// LatestKeeper: the N newest items of a stream in any order, and how many there were.
import t from 'tap';
import { LatestKeeper } from '../../src/report/latest-list.ts';

t.test('keeps the newest, newest first, and counts the rest', async (t) => {
  const keeper = new LatestKeeper<string>(3);
  for (const [time, item] of [
    [5, 'e'],
    [1, 'a'],
    [9, 'i'],
    [3, 'c'],
    [7, 'g'],
    [2, 'b'],
  ] as const) {
    keeper.add(time, () => item);
  }
  t.strictSame(keeper.result(), { total: 6, shown: ['i', 'g', 'e'], notShown: 3 });
});

t.test('equal times keep reading order; items too old to keep are never built', async (t) => {
  const keeper = new LatestKeeper<string>(2);
  const built: string[] = [];
  const item = (name: string) => () => {
    built.push(name);
    return name;
  };
  keeper.add(4, item('first at 4'));
  keeper.add(4, item('second at 4'));
  keeper.add(1, item('old'));
  t.strictSame(keeper.result(), { total: 3, shown: ['first at 4', 'second at 4'], notShown: 1 });
  t.strictSame(built, ['first at 4', 'second at 4']);
});

t.test('a limit of 0 counts only', async (t) => {
  const keeper = new LatestKeeper<string>(0);
  keeper.add(1, () => 'x');
  t.strictSame(keeper.result(), { total: 1, shown: [], notShown: 1 });
});
