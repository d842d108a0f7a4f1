package io.sniproxy.proxy.fd;

import io.sniproxy.config.Limits;

/**
 * What {@code RLIMIT_NOFILE} allows, derived like HAProxy derives {@code maxconn} from
 * {@code ulimit-n}: every proxied TCP connection costs 2 fds (client and backend), every QUIC
 * session 1 (its backend socket), and {@code reserve} fds stay for the process itself. The
 * effective {@code maxConnections}/{@code maxUdpSessions} are the configured ones, scaled down
 * together (in proportion) when both at their maximum would not fit. Beyond them a connection is
 * refused at accept, before any backend socket is attempted, so the OS never has to say no.
 *
 * @param fdLimit            the soft {@code RLIMIT_NOFILE}; -1 when unknown (then nothing is capped)
 * @param reserve            fds kept for the process (see {@link FdReserve})
 * @param allowedConnections how many TCP connections the limit would allow if there were no UDP sessions
 */
public record FdBudget(long fdLimit, int reserve, int configuredConnections, int configuredUdpSessions,
        int maxConnections, int maxUdpSessions, long allowedConnections) {

    public static final int FDS_PER_CONNECTION = 2;
    public static final int FDS_PER_UDP_SESSION = 1;

    /**
     * @param tcp whether any TCP listener is configured (its connections need fds)
     * @param udp whether any QUIC listener is configured
     */
    public static FdBudget derive(Limits limits, boolean tcp, boolean udp, long fdLimit, int reserve) {
        int c = limits.maxConnections();
        int u = limits.maxUdpSessions();
        if (fdLimit <= 0) {
            return new FdBudget(fdLimit, reserve, c, u, c, u, Long.MAX_VALUE);
        }
        long available = Math.max(0, fdLimit - reserve);
        long allowed = available / FDS_PER_CONNECTION;
        long wanted = (tcp ? (long) FDS_PER_CONNECTION * c : 0) + (udp ? (long) FDS_PER_UDP_SESSION * u : 0);
        if (wanted <= available) {
            return new FdBudget(fdLimit, reserve, c, u, c, u, allowed);
        }
        // Both kinds get the same share of what they asked for: neither starves the other.
        double share = (double) available / wanted;
        int maxC = tcp ? (int) Math.floor(c * share) : c;
        int maxU = udp ? (int) Math.floor(u * share) : u;
        return new FdBudget(fdLimit, reserve, c, u, maxC, maxU, allowed);
    }

    /** True when the limit caps either configured value. */
    public boolean capped() {
        return maxConnections < configuredConnections || maxUdpSessions < configuredUdpSessions;
    }

    /** The WARN line: both numbers and the fix. */
    public String warning() {
        return "the fd limit (RLIMIT_NOFILE " + fdLimit + ", " + reserve + " kept for the process) caps "
                + "limits.maxConnections " + configuredConnections + " -> " + maxConnections
                + " (2 fds each) and limits.maxUdpSessions " + configuredUdpSessions + " -> " + maxUdpSessions
                + " (1 fd each); connections beyond are refused as refused_limit. To serve the configured "
                + "numbers raise the limit to at least " + needed() + " (systemd LimitNOFILE=, ulimit -n, "
                + "docker --ulimit nofile=, the pod's container runtime), or lower limits.* to what the limit allows";
    }

    /** The limit that would let the configured values through. */
    public long needed() {
        return reserve + (long) FDS_PER_CONNECTION * configuredConnections
                + (long) FDS_PER_UDP_SESSION * configuredUdpSessions;
    }
}
