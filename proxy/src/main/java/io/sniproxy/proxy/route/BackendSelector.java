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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

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
    private volatile StaticPlans plans = new StaticPlans(null);

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
            Backend fallback = listener.defaultBackend().get();
            return staticPlan(snapshot, fallback, List.of(fallback), backends.roundRobin(), listener, tcp,
                    ProxyProtocol.NONE, client);
        }
        Route r = route.get();
        if (!r.isTransparent()) {
            return staticPlan(snapshot, r, r.backends(), backends.strategy(r), listener, tcp, r.proxyProtocol(), client);
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

    /**
     * @param owner the route (or the listener's default backend) the backends are configured on: with
     *              the listener's port, what the plan of this config generation is kept under
     */
    private Future<BackendPlan> staticPlan(RoutingView snapshot, Object owner, List<Backend> configured,
            Strategy strategy, Listener listener, boolean tcp, ProxyProtocol proxyProtocol, InetAddress client) {
        StaticPlans generation = plans(snapshot);
        StaticPlan cached = generation.get(owner, listener.port(), tcp);
        if (cached == null) {
            cached = generation.put(owner, listener.port(), tcp,
                    new StaticPlan(snapshot, configured, listener.port(), tcp, proxyProtocol));
        }
        if (cached.single != null) {
            return cached.single;
        }
        List<BackendState> order = strategy.order(cached.states, ClientKey.of(client, ipv6Prefix(snapshot)),
                System.nanoTime());
        List<BackendPlan.Choice> choices = new ArrayList<>(order.size());
        for (BackendState s : order) {
            choices.add(cached.choices.get(cached.states.indexOf(s)));
        }
        return Future.succeededFuture(new BackendPlan(choices, cached::target));
    }

    private StaticPlans plans(RoutingView snapshot) {
        StaticPlans p = plans;
        if (p.snapshot != snapshot) { // a reload: plans of the new generation from now on
            p = new StaticPlans(snapshot);
            plans = p;
        }
        return p;
    }

    /** The static plans of one config generation, by route (identity) and listener port. */
    private static final class StaticPlans {
        final RoutingView snapshot;
        private final Map<Key, StaticPlan> byRoute = new ConcurrentHashMap<>();

        StaticPlans(RoutingView snapshot) {
            this.snapshot = snapshot;
        }

        StaticPlan get(Object owner, int port, boolean tcp) {
            return byRoute.get(new Key(owner, port, tcp));
        }

        /** Built twice at worst, by two loops at once: the first one is kept. */
        StaticPlan put(Object owner, int port, boolean tcp, StaticPlan plan) {
            StaticPlan first = byRoute.putIfAbsent(new Key(owner, port, tcp), plan);
            return first != null ? first : plan;
        }

        /** The route by identity: two routes with equal records are still two routes. */
        private record Key(Object owner, int port, boolean tcp) {
            @Override
            public boolean equals(Object o) {
                return o instanceof Key k && k.owner == owner && k.port == port && k.tcp == tcp;
            }

            @Override
            public int hashCode() {
                return System.identityHashCode(owner) * 31 + port * 2 + (tcp ? 1 : 0);
            }
        }
    }

    /**
     * A route's static backends in one config generation: their states, and for IP literals (the
     * usual backend) the permitted target itself, decided once instead of per connection. A
     * hostname is resolved (and permitted) when it is tried, as before. A route with one backend has
     * its whole plan here: nothing is allocated for it per connection.
     */
    private final class StaticPlan {
        final List<BackendState> states;
        final List<BackendPlan.Choice> choices;
        private final Map<String, Future<BackendTarget>> literals = new HashMap<>();
        private final RoutingView snapshot;
        private final boolean tcp;
        private final ProxyProtocol proxyProtocol;
        final Future<BackendPlan> single;

        StaticPlan(RoutingView snapshot, List<Backend> configured, int listenerPort, boolean tcp,
                ProxyProtocol proxyProtocol) {
            this.snapshot = snapshot;
            this.tcp = tcp;
            this.proxyProtocol = proxyProtocol;
            List<BackendState> s = new ArrayList<>(configured.size());
            List<BackendPlan.Choice> c = new ArrayList<>(configured.size());
            for (Backend b : configured) {
                HostPort hp = ((Backend.Static) b).address();
                HostPort effective = HostPort.of(hp.host(), hp.portOr(listenerPort));
                BackendState state = backends.state(BackendRegistry.label(effective));
                BackendPlan.Choice choice = new BackendPlan.Choice(effective.host(), effective.portOr(listenerPort),
                        state.label(), state);
                s.add(state);
                c.add(choice);
                byte[] literal = NetUtil.createByteArrayFromIpAddressString(choice.host());
                if (literal != null) {
                    literals.put(choice.label(), resolve(choice));
                }
            }
            this.states = List.copyOf(s);
            this.choices = List.copyOf(c);
            this.single = states.size() == 1 ? Future.succeededFuture(new BackendPlan(choices, this::target)) : null;
        }

        Future<BackendTarget> target(BackendPlan.Choice c) {
            Future<BackendTarget> literal = literals.get(c.label());
            return literal != null ? literal : resolve(c);
        }

        private Future<BackendTarget> resolve(BackendPlan.Choice c) {
            return resolver.resolve(c.host())
                    .recover(e -> refuse(resolveFailure(e), "cannot resolve backend '" + c.host() + "': " + e.getMessage()))
                    .compose(address -> permit(snapshot, new InetSocketAddress(address, c.port()), tcp, proxyProtocol,
                            c.label(), true, c.state()));
        }
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
