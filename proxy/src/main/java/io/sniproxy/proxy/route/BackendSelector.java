package io.sniproxy.proxy.route;

import io.sniproxy.config.Backend;
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyProtocol;
import io.sniproxy.config.Route;
import io.sniproxy.proxy.fd.FdExhaustion;
import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.route.Hostnames;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Route → resolved, permitted backend address. Unmatched names go to the listener's default
 * backend or nowhere (never an open relay); transparent routes resolve the client's name
 * asynchronously and refuse IP literals and non-public addresses unless allowed; every route
 * refuses the proxy's own listeners. Shared by the TCP and UDP (QUIC) paths.
 */
public final class BackendSelector {

    private final HostResolver resolver;

    public BackendSelector(HostResolver resolver) {
        this.resolver = resolver;
    }

    /**
     * @param protocol what was actually sniffed (tls/http/quic), used to filter routes by protocol
     * @param hostname the SNI or Host the client sent, normalised; empty when it sent none
     * @return the target, or a failed future with a {@link RoutingRefusal} (no stack trace)
     */
    public Future<BackendTarget> select(RoutingView snapshot, Listener listener, Protocol protocol,
            Optional<String> hostname) {
        Optional<Route> route = hostname.flatMap(h -> snapshot.routes().match(h, protocol));
        Backend backend;
        ProxyProtocol proxyProtocol;
        if (route.isPresent()) {
            backend = route.get().backends().get(0);
            proxyProtocol = route.get().proxyProtocol();
        } else if (listener.defaultBackend().isPresent()) {
            backend = listener.defaultBackend().get();
            proxyProtocol = ProxyProtocol.NONE;
        } else {
            return refuse(Outcome.NO_ROUTE, hostname.map(h -> "no route for '" + h + "'")
                    .orElse("no server name and no default backend"));
        }
        boolean tcp = protocol.isTcp();
        if (backend instanceof Backend.Static s) {
            int port = s.address().portOr(listener.port());
            return resolver.resolve(s.address().host())
                    .recover(e -> refuse(resolveFailure(e), "cannot resolve backend '" + s.address().host()
                            + "': " + e.getMessage()))
                    .compose(address -> permit(snapshot, new InetSocketAddress(address, port), tcp, proxyProtocol,
                            s.address().toString(), true));
        }
        if (hostname.isEmpty()) {
            return refuse(Outcome.NO_ROUTE, "transparent route needs a server name");
        }
        String name = hostname.get();
        if (Hostnames.isIpLiteral(name)) {
            return refuse(Outcome.NO_ROUTE, "transparent routes do not connect to IP literals ('" + name + "')");
        }
        if (!Hostnames.isValidName(name)) {
            return refuse(Outcome.NO_ROUTE, "'" + name + "' is not a valid hostname");
        }
        boolean allowPrivate = snapshot.config().security().allowPrivateBackends();
        return resolver.resolve(name)
                .recover(e -> refuse(resolveFailure(e), "cannot resolve '" + name + "': " + e.getMessage()))
                .compose(address -> permit(snapshot, new InetSocketAddress(address, listener.port()), tcp,
                        proxyProtocol, name + ":" + listener.port(), allowPrivate));
    }

    private static Future<BackendTarget> permit(RoutingView snapshot, InetSocketAddress target, boolean tcp,
            ProxyProtocol proxyProtocol, String label, boolean allowPrivate) {
        if (snapshot.selfLoop().isOwnListener(target, tcp)) {
            return refuse(Outcome.NO_ROUTE, label + " (" + target + ") is one of the proxy's own listeners");
        }
        if (!allowPrivate) {
            InetAddress a = target.getAddress();
            Optional<String> why = AddressPolicy.nonPublicReason(a);
            if (why.isPresent()) {
                return refuse(Outcome.NO_ROUTE, label + " resolves to " + a.getHostAddress() + ", a " + why.get()
                        + " (security.allowPrivateBackends is false)");
            }
        }
        return Future.succeededFuture(new BackendTarget(target, proxyProtocol, label));
    }

    /** A DNS query that found no socket to send from is the fd limit, not a missing name. */
    private static Outcome resolveFailure(Throwable e) {
        return FdExhaustion.is(e) ? Outcome.FD_LIMIT : Outcome.CONNECT_FAILED;
    }

    private static <T> Future<T> refuse(Outcome outcome, String reason) {
        return Future.failedFuture(new RoutingRefusal(outcome, reason));
    }
}
