// Read batching: the ids reads of this turn of the event loop want from Redis, fetched as one group when
// the turn's I/O callbacks have run (setImmediate, as ioredis's auto-pipelining does): one breaker call,
// one timeout timer, one pipelined read and one load of the misses for all the calls that arrived
// together, instead of each call's own. A read waits at most for the rest of the turn it arrived in.
export function createTurnBatcher<V>(
  fetchGroup: (ids: string[]) => Promise<Map<string, V>>,
): (ids: string[]) => Promise<Map<string, V>> {
  let thisTurn: { ids: string[]; group: Promise<Map<string, V>> } | undefined;

  return function fetchThisTurn(ids: string[]): Promise<Map<string, V>> {
    if (thisTurn === undefined) {
      const { promise, resolve, reject } = Promise.withResolvers<Map<string, V>>();
      const turn = { ids: [] as string[], group: promise };
      thisTurn = turn;
      setImmediate(() => {
        thisTurn = undefined;
        fetchGroup(turn.ids).then(resolve, reject);
      });
    }
    thisTurn.ids.push(...ids);
    return thisTurn.group;
  };
}
