package io.sniproxy.operator.routes;

import io.sniproxy.config.Route;
import java.util.Optional;

/**
 * What became of one SniRoute: accepted with the config route it renders to, or refused with a
 * Gateway-API-style reason and a message that says what to change.
 */
public record RouteVerdict(String reason, String message, Optional<Route> route, Optional<String> backend) {

    public static final String ACCEPTED = "Accepted";
    public static final String HOSTNAME_CONFLICT = "HostnameConflict";
    public static final String INVALID = "Invalid";
    public static final String NO_MATCHING_PARENT = "NoMatchingParent";
    public static final String BACKEND_NOT_FOUND = "BackendNotFound";
    public static final String NOT_ALLOWED_BY_PARENT = "NotAllowedByParent";

    public static RouteVerdict accepted(Route route, String backend) {
        return new RouteVerdict(ACCEPTED, "routed by the proxy", Optional.of(route), Optional.of(backend));
    }

    public static RouteVerdict refused(String reason, String message, Optional<String> backend) {
        return new RouteVerdict(reason, message, Optional.empty(), backend);
    }

    public boolean isAccepted() {
        return route.isPresent();
    }
}
