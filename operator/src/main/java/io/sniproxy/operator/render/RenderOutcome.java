package io.sniproxy.operator.render;

import io.sniproxy.operator.routes.RouteVerdict;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Either a rendering, or the SniProxy spec problems that prevent one; plus the route verdicts, which
 * rendering may have tightened (a route the proxy itself would refuse, such as a backend that is the
 * proxy's own listener, is turned into {@code Invalid}).
 */
public record RenderOutcome(List<String> specProblems, Optional<Rendering> rendering, Map<String, RouteVerdict> verdicts) {

    public RenderOutcome {
        specProblems = List.copyOf(specProblems);
        verdicts = Map.copyOf(verdicts);
    }

    public boolean valid() {
        return rendering.isPresent();
    }
}
