package io.sniproxy.proxy.quic;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The refused-client table: by address and original DCID, for a time, bounded. */
class RefusedClientsTest {

    static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    static final ConnectionId DCID = ConnectionId.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

    @Test
    void aRefusedAttemptStaysRefusedUntilItsTimeIsUpAndOnlyForTheSameAddressAndDcid() {
        RefusedClients refused = new RefusedClients();
        long now = 1_000 * SECOND;
        assertThat(refused.isRefused(CLIENT, DCID, now)).isFalse();
        refused.refuse(CLIENT, DCID, now, now + 10 * SECOND);
        assertThat(refused.isRefused(CLIENT, DCID, now + 9 * SECOND)).isTrue();
        assertThat(refused.isRefused(new InetSocketAddress("127.0.0.1", 40001), DCID, now)).isFalse();
        assertThat(refused.isRefused(CLIENT, ConnectionId.of(new byte[] {9}), now)).isFalse();
        assertThat(refused.isRefused(CLIENT, null, now)).isFalse();
        assertThat(refused.isRefused(CLIENT, DCID, now + 10 * SECOND)).isFalse();
        assertThat(refused.isEmpty()).isTrue(); // the expired entry went on lookup
    }

    @Test
    void theTableIsBoundedAndExpiredEntriesGoWhenANewRefusalComes() {
        RefusedClients refused = new RefusedClients();
        long now = 0;
        for (int i = 0; i < RefusedClients.MAX_ENTRIES + 100; i++) {
            refused.refuse(new InetSocketAddress("127.0.0.1", 1024 + i), DCID, now, now + SECOND);
        }
        assertThat(refused.size()).isEqualTo(RefusedClients.MAX_ENTRIES);
        assertThat(refused.isRefused(new InetSocketAddress("127.0.0.1", 1024), DCID, now)).isFalse(); // evicted
        assertThat(refused.isRefused(new InetSocketAddress("127.0.0.1", 1024 + 200), DCID, now)).isTrue();
        refused.refuse(CLIENT, DCID, now + 2 * SECOND, now + 3 * SECOND);
        assertThat(refused.size()).isEqualTo(1);
    }
}
