package io.sniproxy.proxy.balance;

import io.sniproxy.config.Balance;
import io.sniproxy.proxy.client.ClientKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The order in which a route's backends are tried for one new connection: the first is the choice,
 * the rest are the failover order. Available backends come first, in the strategy's order; the
 * unavailable follow as a last resort.
 */
public sealed interface Strategy {

    List<BackendState> order(List<BackendState> members, ClientKey client, long nowNanos);

    static Strategy of(Balance balance) {
        return switch (balance) {
            case ROUNDROBIN -> new RoundRobin();
            case LEASTCONN -> new LeastConn();
            case SOURCE -> new Source();
        };
    }

    /** In turn: each connection starts one further along the list. */
    final class RoundRobin implements Strategy {
        private final AtomicInteger next = new AtomicInteger();

        @Override
        public List<BackendState> order(List<BackendState> members, ClientKey client, long nowNanos) {
            int n = members.size();
            int start = Math.floorMod(next.getAndIncrement(), n);
            List<BackendState> rotated = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                rotated.add(members.get((start + i) % n));
            }
            return availableFirst(rotated, nowNanos);
        }
    }

    /** The fewest open connections first; ties in turn, so equal backends share the load. */
    final class LeastConn implements Strategy {
        private final RoundRobin ties = new RoundRobin();

        @Override
        public List<BackendState> order(List<BackendState> members, ClientKey client, long nowNanos) {
            List<BackendState> byLoad = new ArrayList<>(ties.order(members, client, nowNanos));
            byLoad.sort((a, b) -> {
                boolean aa = a.available(nowNanos);
                boolean ba = b.available(nowNanos);
                if (aa != ba) {
                    return aa ? -1 : 1;
                }
                return Integer.compare(a.open(), b.open()); // stable: ties keep the round-robin order
            });
            return byLoad;
        }
    }

    /**
     * A consistent hash of the client: rendezvous (highest-random-weight) hashing of the client key
     * with each backend's label. A client keeps its backend while that backend is available;
     * when one leaves, only its clients move (each to its own second choice), and they come back
     * when it returns. Independent of the list's order and of the process (no random seed).
     */
    final class Source implements Strategy {
        @Override
        public List<BackendState> order(List<BackendState> members, ClientKey client, long nowNanos) {
            int n = members.size();
            long[] score = new long[n];
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
                score[i] = mix(client.high() ^ mix(client.low() ^ mix(members.get(i).label().hashCode())));
            }
            Arrays.sort(idx, (a, b) -> Long.compareUnsigned(score[b], score[a]));
            List<BackendState> ranked = new ArrayList<>(n);
            for (Integer i : idx) {
                ranked.add(members.get(i));
            }
            return availableFirst(ranked, nowNanos);
        }

        /** MurmurHash3's 64-bit finaliser: every input bit affects every output bit. */
        static long mix(long h) {
            h ^= h >>> 33;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            h *= 0xc4ceb9fe1a85ec53L;
            h ^= h >>> 33;
            return h;
        }
    }

    private static List<BackendState> availableFirst(List<BackendState> ordered, long nowNanos) {
        List<BackendState> out = new ArrayList<>(ordered.size());
        for (BackendState b : ordered) {
            if (b.available(nowNanos)) {
                out.add(b);
            }
        }
        for (BackendState b : ordered) {
            if (!b.available(nowNanos)) {
                out.add(b);
            }
        }
        return out;
    }
}
