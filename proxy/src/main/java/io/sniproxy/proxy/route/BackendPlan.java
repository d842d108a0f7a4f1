package io.sniproxy.proxy.route;

import io.sniproxy.proxy.balance.BackendState;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Function;

/**
 * The backends one connection may try, in order: the balancer's choice first, then the failover
 * order. Each is resolved and checked (self-loop, SSRF guard) only when it is tried.
 */
public final class BackendPlan {

    /** One backend to try; {@code state} null for a transparent route's resolved address. */
    public record Choice(String host, int port, String label, BackendState state) {
    }

    private final List<Choice> choices;
    private final Function<Choice, Future<BackendTarget>> resolve;

    BackendPlan(List<Choice> choices, Function<Choice, Future<BackendTarget>> resolve) {
        this.choices = List.copyOf(choices);
        this.resolve = resolve;
    }

    public int size() {
        return choices.size();
    }

    public Choice choice(int i) {
        return choices.get(i);
    }

    /** The {@code i}-th choice resolved and permitted, or a failed future with a {@link RoutingRefusal}. */
    public Future<BackendTarget> target(int i) {
        return resolve.apply(choices.get(i));
    }
}
