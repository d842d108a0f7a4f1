package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Built only by the status factory: conditions Ready, ConfigValid, PoolingDisabled, FdHealthy.
 * Applied server-side as a whole: a field left out (null) is removed from the stored status, and a
 * null would be refused by the schema, so nulls are omitted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SniProxyStatus {

    public Long observedGeneration;

    public List<Condition> conditions = new ArrayList<>();

    /** Hash of the config file in force (also on the pod template). */
    public String configHash;

    /** {@code namespace/name} of the routes rendered into that file, sorted. */
    public List<String> routes = new ArrayList<>();

    public Integer readyReplicas;

    @Override
    public boolean equals(Object o) {
        return o instanceof SniProxyStatus s && Objects.equals(observedGeneration, s.observedGeneration)
                && Objects.equals(conditions, s.conditions) && Objects.equals(configHash, s.configHash)
                && Objects.equals(routes, s.routes) && Objects.equals(readyReplicas, s.readyReplicas);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, configHash, routes, readyReplicas);
    }
}
