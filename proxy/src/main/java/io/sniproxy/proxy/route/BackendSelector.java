package io.sniproxy.proxy.route;

import io.netty.util.NetUtil;
import io.sniproxy.config.Backend;
import io.sniproxy.config.HostPort;
import io.sniproxy.config.Listener;
import io.sniproxy.config.PerClientLimits;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyProtocol;
import io.sniproxy.config.Route;
import io.sniproxy.proxy.balance.BackendRegistry;
import io.sniproxy.proxy.balance.BackendState;
import io.sniproxy.proxy.balance.Strategy;
import io.sniproxy.proxy.client.ClientKey;
import io.sniproxy.proxy.fd.FdExhaustion;
import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.route.Hostnames;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Route → the backends a connection may try, each resolved and permitted when it is tried.
 * Unmatched names go to the listener's default backend or nowhere (never an open relay); a route
 * with several backends orders them by its {@code balance} (available ones first); transparent
 * routes resolve the client's name asynchronously (its addresses are the backends, in balance order) and
 * refuse IP literals and non-public addresses unless allowed; every route refuses the proxy's own
 * listeners. Shared by the TCP and UDP (QUIC) paths.
 */
public final class BackendSelector {

    private final HostResolver resolver;
    private final BackendRegistry backends;

    public BackendSelector(HostResolver resolver, BackendRegistry backends) {
        this.resolver = resolver;
        this.backends = backends;
    }

    /**
     * @param protocol what was actually sniffed (tls/http/quic), used to filter routes by protocol
     * @param hostname the SNI or Host the client sent, normalised; empty when it sent none
     * @param alpn     the ALPN ids the client offered, in its order (empty: none)
     * @param client   the real client (after a PROXY header): what {@code balance: source} hashes
     * @return the plan, or a failed future with a {@link RoutingRefusal} (no stack trace)
     */
    public Future<BackendPlan> select(RoutingView snapshot, Listener listener, Protocol protocol,
            Optional<String> hostname, List<String> alpn, InetAddress client) {
        Optional<Route> route = hostname.flatMap(h -> snapshot.routes().match(h, protocol, alpn));
        boolean tcp = protocol.isTcp();
        if (route.isEmpty()) {
            if (listener.defaultBackend().isEmpty()) {
                return refuse(Outcome.NO_ROUTE, hostname.map(h -> "no route for '" + h + "'" + (alpn.isEmpty() ? ""
                        : " with ALPN " + alpn)).orElse("no server name and no default backend"));
            }
            return staticPlan(snapshot, List.of(listener.defaultBackend().get()), backends.roundRobin(), listener, tcp,
                    ProxyProtocol.NONE, client);
        }
        Route r = route.get();
        if (!r.isTransparent()) {
            return staticPlan(snapshot, r.backends(), backends.strategy(r), listener, tcp, r.proxyProtocol(), client);
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
        String label = name + ":" + listener.port();
        return resolver.resolveAll(name)
                .recover(e -> refuse(resolveFailure(e), "cannot resolve '" + name + "': " + e.getMessage()))
                .compose(addresses -> {
                    // the SSRF guard judges every address: one private address among public ones is skipped
                    List<BackendPlan.Choice> permitted = new ArrayList<>();
                    Future<BackendTarget> firstRefusal = null;
                    for (InetAddress a : addresses) {
                        Future<BackendTarget> p = permit(snapshot, new InetSocketAddress(a, listener.port()), tcp,
                                r.proxyProtocol(), label, allowPrivate, null);
                        if (p.succeeded()) {
                            permitted.add(new BackendPlan.Choice(a.getHostAddress(), listener.port(), label, null));
                        } else if (firstRefusal == null) {
                            firstRefusal = p;
                        }
                    }
                    if (permitted.isEmpty()) {
                        return firstRefusal != null ? firstRefusal.map(t -> (BackendPlan) null)
                                : refuse(Outcome.CONNECT_FAILED, "'" + name + "' has no address");
                    }
                    if (permitted.size() > 1) {
                        permitted = byBalance(permitted, backends.strategy(r), snapshot, client);
                    }
                    return Future.succeededFuture(new BackendPlan(permitted, c -> permit(snapshot,
                            new InetSocketAddress(literal(c.host()), c.port()), tcp, r.proxyProtocol(), label,
                            allowPrivate, null)));
                });
    }

    private Future<BackendPlan> staticPlan(RoutingView snapshot, List<Backend> configured, Strategy strategy,
            Listener listener, boolean tcp, ProxyProtocol proxyProtocol, InetAddress client) {
        List<BackendState> states = new ArrayList<>(configured.size());
        List<HostPort> addresses = new ArrayList<>(configured.size());
        for (Backend b : configured) {
            HostPort hp = ((Backend.Static) b).address();
            HostPort effective = HostPort.of(hp.host(), hp.portOr(listener.port()));
            addresses.add(effective);
            states.add(backends.state(BackendRegistry.label(effective)));
        }
        List<BackendState> order = states.size() == 1 ? states
                : strategy.order(states, ClientKey.of(client, ipv6Prefix(snapshot)), System.nanoTime());
        List<BackendPlan.Choice> choices = new ArrayList<>(order.size());
        for (BackendState s : order) {
            HostPort hp = addresses.get(states.indexOf(s));
            choices.add(new BackendPlan.Choice(hp.host(), hp.portOr(listener.port()), s.label(), s));
        }
        return Future.succeededFuture(new BackendPlan(choices, c -> resolver.resolve(c.host())
                .recover(e -> refuse(resolveFailure(e), "cannot resolve backend '" + c.host() + "': " + e.getMessage()))
                .compose(address -> permit(snapshot, new InetSocketAddress(address, c.port()), tcp, proxyProtocol,
                        c.label(), true, c.state()))));
    }

    /**
     * A transparent route's addresses in its balance order. They are not configured backends, so no
     * health is kept for them: each connection's own failover is all there is.
     */
    private static List<BackendPlan.Choice> byBalance(List<BackendPlan.Choice> choices, Strategy strategy,
            RoutingView snapshot, InetAddress client) {
        List<BackendState> states = choices.stream().map(c -> new BackendState(c.host())).toList();
        List<BackendState> order = strategy.order(states, ClientKey.of(client, ipv6Prefix(snapshot)), System.nanoTime());
        return order.stream().map(s -> choices.get(states.indexOf(s))).toList();
    }

    private static int ipv6Prefix(RoutingView snapshot) {
        return snapshot.config().limits().perClient().map(PerClientLimits::ipv6Prefix)
                .orElse(PerClientLimits.DEFAULT_IPV6_PREFIX);
    }

    private static InetAddress literal(String ip) {
        try {
            return InetAddress.getByAddress(ip, NetUtil.createByteArrayFromIpAddressString(ip));
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static Future<BackendTarget> permit(RoutingView snapshot, InetSocketAddress target, boolean tcp,
            ProxyProtocol proxyProtocol, String label, boolean allowPrivate, BackendState state) {
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
        return Future.succeededFuture(new BackendTarget(target, proxyProtocol, label, state));
    }

    /** A DNS query that found no socket to send from is the fd limit, not a missing name. */
    private static Outcome resolveFailure(Throwable e) {
        return FdExhaustion.is(e) ? Outcome.FD_LIMIT : Outcome.CONNECT_FAILED;
    }

    private static <T> Future<T> refuse(Outcome outcome, String reason) {
        return Future.failedFuture(new RoutingRefusal(outcome, reason));
    }
}
