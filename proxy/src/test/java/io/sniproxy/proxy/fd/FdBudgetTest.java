package io.sniproxy.proxy.fd;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.config.Limits;
import org.junit.jupiter.api.Test;

/** The effective limits derived from RLIMIT_NOFILE: 2 fds per TCP connection, 1 per QUIC session, a reserve. */
class FdBudgetTest {

    static final Limits DEFAULTS = Limits.DEFAULTS; // 50,000 connections, 10,000 UDP sessions

    @Test
    void aMillionFdsFitTheDefaultsAndCapNothing() {
        FdBudget b = FdBudget.derive(DEFAULTS, true, true, 1_048_576, 110);
        assertThat(b.capped()).isFalse();
        assertThat(b.maxConnections()).isEqualTo(50_000);
        assertThat(b.maxUdpSessions()).isEqualTo(10_000);
        assertThat(b.allowedConnections()).isEqualTo((1_048_576 - 110) / 2);
    }

    @Test
    void nofile320CapsTcpAndUdpInProportionAndTheirFdsFitTheLimit() {
        FdBudget b = FdBudget.derive(DEFAULTS, true, true, 320, 110);
        assertThat(b.capped()).isTrue();
        // 210 fds for connections; 100,000 + 10,000 wanted: each kind gets 210/110,000 of its ask.
        assertThat(b.maxConnections()).isEqualTo(95);
        assertThat(b.maxUdpSessions()).isEqualTo(19);
        assertThat(2L * b.maxConnections() + b.maxUdpSessions() + b.reserve()).isLessThanOrEqualTo(320);
        assertThat(b.warning()).contains("RLIMIT_NOFILE 320").contains("50000 -> 95").contains("10000 -> 19")
                .contains("LimitNOFILE=").contains("ulimit -n").contains("at least " + (110 + 100_000 + 10_000));
    }

    @Test
    void withoutQuicListenersTcpGetsEveryFd() {
        FdBudget b = FdBudget.derive(DEFAULTS, true, false, 320, 110);
        assertThat(b.maxConnections()).isEqualTo(105);
        assertThat(b.maxUdpSessions()).isEqualTo(10_000); // unused: no listener needs it
    }

    @Test
    void configuredLimitsThatFitAreKept() {
        FdBudget b = FdBudget.derive(new Limits(50, 65_536, 10), true, true, 320, 110);
        assertThat(b.capped()).isFalse();
        assertThat(b.maxConnections()).isEqualTo(50);
    }

    @Test
    void aLimitBelowTheReserveRefusesEverythingRatherThanFailingInTheOs() {
        FdBudget b = FdBudget.derive(DEFAULTS, true, true, 64, 110);
        assertThat(b.maxConnections()).isZero();
        assertThat(b.maxUdpSessions()).isZero();
    }

    @Test
    void anUnknownLimitCapsNothing() {
        FdBudget b = FdBudget.derive(DEFAULTS, true, true, -1, 110);
        assertThat(b.capped()).isFalse();
        assertThat(b.maxConnections()).isEqualTo(50_000);
    }

    @Test
    void theReserveIsTheMeasuredBaselinePlusListenerSocketsPlusHeadroom() {
        assertThat(new FdReserve(40, 2).forListeners(3)).isEqualTo(40 + 6 + FdReserve.HEADROOM);
    }
}
