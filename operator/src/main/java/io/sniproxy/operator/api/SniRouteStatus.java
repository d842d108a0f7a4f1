package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Conditions Accepted and Programmed, in Gateway API's sense.
 * Applied server-side as a whole: a field left out (null) is removed from the stored status, and a
 * null would be refused by the schema, so nulls are omitted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SniRouteStatus {

    public Long observedGeneration;

    public List<Condition> conditions = new ArrayList<>();

    /** The backend as written into the proxy's config ({@code host:port}). */
    public String backend;

    @Override
    public boolean equals(Object o) {
        return o instanceof SniRouteStatus s && Objects.equals(observedGeneration, s.observedGeneration)
                && Objects.equals(conditions, s.conditions) && Objects.equals(backend, s.backend);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, backend);
    }
}
