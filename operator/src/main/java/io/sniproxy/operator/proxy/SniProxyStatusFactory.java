package io.sniproxy.operator.proxy;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniProxyStatus;
import io.sniproxy.operator.render.RenderOutcome;
import io.sniproxy.operator.render.Rendering;
import io.sniproxy.operator.support.Conditions;
import io.sniproxy.operator.watchdog.ProxyHealth;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one place a SniProxy status is built, from the outcome of a reconcile pass. Pure: the same
 * inputs and previous status give an equal status, so a no-op pass writes nothing.
 */
public final class SniProxyStatusFactory {

    public static final String READY = "Ready";
    public static final String CONFIG_VALID = "ConfigValid";
    public static final String POOLING_DISABLED = "PoolingDisabled";
    public static final String FD_HEALTHY = "FdHealthy";

    private SniProxyStatusFactory() {
    }

    /**
     * @param inForce hash of the config in the existing ConfigMap, if any: what the pods run while a
     *     new spec cannot be rendered
     */
    public static SniProxyStatus build(SniProxy proxy, RenderOutcome outcome, Optional<String> inForce,
            Optional<Deployment> deployment, Optional<ProxyHealth> health, Instant now) {
        SniProxyStatus previous = proxy.getStatus() == null ? new SniProxyStatus() : proxy.getStatus();
        List<Condition> before = previous.conditions;
        Long generation = proxy.getMetadata().getGeneration();
        SniProxyStatus status = new SniProxyStatus();
        status.observedGeneration = generation;
        if (outcome.rendering().isPresent()) {
            Rendering r = outcome.rendering().get();
            status.configHash = r.hash();
            status.routes = r.routes();
        } else {
            // The last good config stays in force; say which one it is.
            status.configHash = inForce.orElse(previous.configHash);
            status.routes = previous.routes;
        }
        int desired = proxy.getSpec() != null && proxy.getSpec().replicas != null ? proxy.getSpec().replicas : 2;
        status.readyReplicas = deployment.map(Deployment::getStatus)
                .map(s -> s.getReadyReplicas() == null ? 0 : s.getReadyReplicas()).orElse(0);

        List<Condition> conditions = new ArrayList<>();
        if (deployment.isEmpty()) {
            conditions.add(Conditions.of(READY, Conditions.FALSE, outcome.valid() ? "Creating" : "InvalidSpec",
                    outcome.valid() ? "the Deployment is being created" : "nothing is deployed until the spec is fixed",
                    generation, before, now));
        } else {
            Rollout rollout = Rollout.of(deployment.get(), desired);
            conditions.add(Conditions.of(READY, rollout.complete() ? Conditions.TRUE : Conditions.FALSE,
                    rollout.reason(), rollout.message(), generation, before, now));
        }
        if (outcome.valid()) {
            Rendering r = outcome.rendering().get();
            conditions.add(Conditions.of(CONFIG_VALID, Conditions.TRUE, "Rendered", "config " + r.hash() + " with "
                    + r.routes().size() + " route(s) is in ConfigMap " + ProxyLabels.configMapName(proxy),
                    generation, before, now));
        } else {
            conditions.add(Conditions.of(CONFIG_VALID, Conditions.FALSE, "InvalidSpec",
                    String.join("; ", outcome.specProblems())
                            + (status.configHash == null ? "" : " (config " + status.configHash + " stays in force)"),
                    generation, before, now));
        }
        ProxyHealth h = health.orElse(ProxyHealth.notScraped("NotScrapedYet", "the fd watchdog has not scraped this fleet yet"));
        conditions.add(Conditions.of(POOLING_DISABLED, h.poolingStatus(), h.poolingReason(), h.poolingMessage(),
                generation, before, now));
        conditions.add(Conditions.of(FD_HEALTHY, h.fdStatus(), h.fdReason(), h.fdMessage(), generation, before, now));
        status.conditions = conditions;
        return status;
    }

    /** The previous status with {@code Ready=False ReconcileFailed} saying what the API server answered. */
    public static SniProxyStatus failed(SniProxy proxy, String message, Instant now) {
        SniProxyStatus previous = proxy.getStatus() == null ? new SniProxyStatus() : proxy.getStatus();
        SniProxyStatus status = new SniProxyStatus();
        status.observedGeneration = previous.observedGeneration;
        status.configHash = previous.configHash;
        status.routes = previous.routes;
        status.readyReplicas = previous.readyReplicas;
        List<Condition> conditions = new ArrayList<>();
        conditions.add(Conditions.of(READY, Conditions.FALSE, "ReconcileFailed", message,
                proxy.getMetadata().getGeneration(), previous.conditions, now));
        previous.conditions.stream().filter(c -> !READY.equals(c.getType())).forEach(conditions::add);
        status.conditions = conditions;
        return status;
    }

    /**
     * Whether the Deployment's rollout of its current template is complete: the controller has seen
     * this generation, every replica runs the new template, all of them are available, no old one is
     * left. Ready pods of the old template do not count.
     */
    record Rollout(boolean complete, String reason, String message) {

        static Rollout of(Deployment d, int desired) {
            var s = d.getStatus();
            long generation = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
            if (s == null || s.getObservedGeneration() == null || s.getObservedGeneration() < generation) {
                return new Rollout(false, "RolloutPending", "the Deployment controller has not yet seen generation "
                        + generation);
            }
            int updated = orZero(s.getUpdatedReplicas());
            int available = orZero(s.getAvailableReplicas());
            int total = orZero(s.getReplicas());
            int ready = orZero(s.getReadyReplicas());
            if (updated < desired || total > updated) {
                return new Rollout(false, "RollingOut", updated + "/" + desired + " pods updated to the current config, "
                        + (total - updated) + " old pod(s) left");
            }
            if (available < desired) {
                return new Rollout(false, "PodsNotReady", ready + "/" + desired + " pods ready");
            }
            return new Rollout(true, "PodsReady", available + "/" + desired + " pods ready");
        }

        private static int orZero(Integer i) {
            return i == null ? 0 : i;
        }
    }
}
