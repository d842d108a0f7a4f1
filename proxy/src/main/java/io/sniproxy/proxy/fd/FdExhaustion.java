package io.sniproxy.proxy.fd;

import java.util.List;
import java.util.Optional;

/**
 * Recognises "the OS says no to a new socket" in whatever Netty, NIO or the DNS resolver threw:
 * EMFILE (this process is at {@code RLIMIT_NOFILE}), ENFILE (the whole system is) and ENOBUFS /
 * ENOMEM (no kernel memory for the socket). All four end one connection as {@code fd_limit}; they
 * are never a reason to close a listener.
 */
public final class FdExhaustion {

    /** The {@code reason} label of {@code sniproxy_accept_errors_total} for anything else. */
    public static final String OTHER = "other";
    /** Every label {@link #label} can return. */
    public static final List<String> LABELS = List.of("emfile", "enfile", "enobufs", OTHER);

    private FdExhaustion() {
    }

    /** {@code emfile}, {@code enfile} or {@code enobufs} when {@code t} (or a cause) is one, else empty. */
    public static Optional<String> reason(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m == null) {
                continue;
            }
            // strerror(3) texts, the same for epoll (Errors.NativeIoException) and NIO (IOException).
            if (m.contains("Too many open files in system")) {
                return Optional.of("enfile");
            }
            if (m.contains("Too many open files")) {
                return Optional.of("emfile");
            }
            if (m.contains("No buffer space available") || m.contains("Cannot allocate memory")) {
                return Optional.of("enobufs");
            }
        }
        return Optional.empty();
    }

    public static boolean is(Throwable t) {
        return reason(t).isPresent();
    }

    /** The accept-error label: one of {@link #reason}'s, or {@value #OTHER}. */
    public static String label(Throwable t) {
        return reason(t).orElse(OTHER);
    }
}
