package io.sniproxy.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sniproxy.proxy.client.ClientKey;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StrategyTest {

    static final long NOW = 1_000_000_000_000L;

    static List<BackendState> backends(int n) {
        return IntStream.range(0, n).mapToObj(i -> new BackendState("10.0.0." + (i + 1) + ":443")).toList();
    }

    static ClientKey client(int i) throws Exception {
        return ClientKey.of(InetAddress.getByAddress(new byte[] {(byte) 198, 51, (byte) (i >> 8), (byte) i}), 64);
    }

    @Test
    void roundRobinTakesEachInTurnAndFailsOverToTheNext() throws Exception {
        List<BackendState> b = backends(3);
        Strategy rr = new Strategy.RoundRobin();
        assertThat(rr.order(b, client(1), NOW)).containsExactly(b.get(0), b.get(1), b.get(2));
        assertThat(rr.order(b, client(1), NOW)).containsExactly(b.get(1), b.get(2), b.get(0));
        b.get(2).connectFailed(NOW);
        assertThat(rr.order(b, client(1), NOW)).as("a down backend is last resort").containsExactly(b.get(0),
                b.get(1), b.get(2));
    }

    @Test
    void leastConnPrefersTheFewestOpenAndSharesTies() throws Exception {
        List<BackendState> b = backends(3);
        var lease1 = b.get(0).connected();
        var lease2 = b.get(0).connected();
        b.get(1).connected();
        Strategy lc = new Strategy.LeastConn();
        assertThat(lc.order(b, client(1), NOW).get(0)).isSameAs(b.get(2));
        b.get(2).connected();
        b.get(2).connected();
        assertThat(lc.order(b, client(1), NOW).get(0)).isSameAs(b.get(1));
        lease1.close();
        lease2.close();
        lease2.close(); // closed once only
        assertThat(b.get(0).open()).isZero();
        assertThat(lc.order(b, client(1), NOW).get(0)).isSameAs(b.get(0));
        b.get(0).connectFailed(NOW);
        assertThat(lc.order(b, client(1), NOW)).as("down: last, however idle").endsWith(b.get(0));
    }

    @Test
    void sourceSticksEachClientToOneBackendAndSpreadsClientsEvenly() throws Exception {
        List<BackendState> b = backends(4);
        Strategy src = new Strategy.Source();
        Map<BackendState, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            BackendState first = src.order(b, client(i), NOW).get(0);
            assertThat(src.order(b, client(i), NOW).get(0)).isSameAs(first);
            assertThat(src.order(List.of(b.get(3), b.get(1), b.get(0), b.get(2)), client(i), NOW).get(0))
                    .as("independent of the list's order").isSameAs(first);
            counts.merge(first, 1, Integer::sum);
        }
        for (BackendState s : b) {
            assertThat(counts.get(s).doubleValue()).isCloseTo(1000, within(150.0));
        }
    }

    @Test
    void whenASourceBackendGoesDownOnlyItsClientsMoveAndTheyComeBack() throws Exception {
        List<BackendState> b = backends(4);
        Strategy src = new Strategy.Source();
        BackendState[] before = new BackendState[1000];
        for (int i = 0; i < before.length; i++) {
            before[i] = src.order(b, client(i), NOW).get(0);
        }
        b.get(1).connectFailed(NOW);
        int moved = 0;
        for (int i = 0; i < before.length; i++) {
            BackendState now = src.order(b, client(i), NOW).get(0);
            if (before[i] != b.get(1)) {
                assertThat(now).isSameAs(before[i]);
            } else {
                assertThat(now).isNotSameAs(b.get(1));
                moved++;
            }
        }
        assertThat(moved).isBetween(150, 350);
        b.get(1).connected().close(); // passive: a successful connect is up again
        for (int i = 0; i < before.length; i++) {
            assertThat(src.order(b, client(i), NOW).get(0)).isSameAs(before[i]);
        }
    }

    @Test
    void passiveDownIsRetriedAfterTheHoldUnlessActiveChecksDecide() {
        BackendState s = new BackendState("10.0.0.1:443");
        s.connectFailed(NOW);
        assertThat(s.up()).isFalse();
        assertThat(s.failures()).isEqualTo(1);
        assertThat(s.available(NOW + BackendState.PASSIVE_RETRY_NANOS - 1)).isFalse();
        assertThat(s.available(NOW + BackendState.PASSIVE_RETRY_NANOS)).isTrue();
        s.activelyChecked(true);
        assertThat(s.available(NOW + BackendState.PASSIVE_RETRY_NANOS * 100)).isFalse();
        s.connected().close();
        assertThat(s.up()).as("with active checks only rise probes bring it back").isFalse();
        s.probed(true, 2, 3, NOW);
        assertThat(s.up()).isFalse();
        s.probed(true, 2, 3, NOW);
        assertThat(s.up()).isTrue();
        s.probed(false, 2, 3, NOW);
        s.probed(false, 2, 3, NOW);
        s.probed(true, 2, 3, NOW); // a success breaks the run of misses
        s.probed(false, 2, 3, NOW);
        s.probed(false, 2, 3, NOW);
        assertThat(s.up()).isTrue();
        s.probed(false, 2, 3, NOW);
        assertThat(s.up()).isFalse();
    }
}
