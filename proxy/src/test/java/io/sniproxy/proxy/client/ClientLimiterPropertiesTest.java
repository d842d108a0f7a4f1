package io.sniproxy.proxy.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.proxy.client.ClientLimiter.Permit;
import io.sniproxy.proxy.client.ClientLimiter.Verdict;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Any sequence of opens and closes: the table never outgrows its capacity and the counts match a model. */
class ClientLimiterPropertiesTest {

    @Property(tries = 300)
    void countsMatchAModelAndTheTableStaysBounded(@ForAll long seed, @ForAll @IntRange(min = 1, max = 8) int capacity,
            @ForAll @IntRange(min = 1, max = 4) int max) throws Exception {
        Random rnd = new Random(seed);
        ClientLimiter l = new ClientLimiter(max, 0, 0, 64, capacity, () -> 0L);
        Map<Integer, List<Permit>> open = new HashMap<>();
        for (int step = 0; step < 400; step++) {
            int client = rnd.nextInt(12);
            InetAddress a = InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) client});
            List<Permit> mine = open.computeIfAbsent(client, c -> new ArrayList<>());
            if (rnd.nextBoolean() || mine.isEmpty()) {
                int liveClients = (int) open.values().stream().filter(p -> !p.isEmpty()).count();
                Permit p = l.acquire(a);
                if (mine.size() >= max) {
                    assertThat(p.verdict()).isEqualTo(Verdict.CLIENT_LIMIT);
                } else if (mine.isEmpty() && liveClients >= capacity) {
                    assertThat(p.verdict()).as("table full of live clients").isEqualTo(Verdict.CLIENT_LIMIT);
                } else {
                    assertThat(p.verdict()).isEqualTo(Verdict.ADMITTED);
                    mine.add(p);
                }
            } else {
                mine.remove(rnd.nextInt(mine.size())).release();
            }
            assertThat(l.size()).isLessThanOrEqualTo(capacity);
            assertThat(l.open(a)).isEqualTo(mine.size());
        }
    }
}
