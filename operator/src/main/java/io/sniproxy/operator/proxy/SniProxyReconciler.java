package io.sniproxy.operator.proxy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sniproxy.operator.OperatorConfig;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniProxyStatus;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.render.ConfigRenderer;
import io.sniproxy.operator.render.RenderOutcome;
import io.sniproxy.operator.routes.BackendLookup;
import io.sniproxy.operator.routes.BackendServices;
import io.sniproxy.operator.routes.RouteAdmission;
import io.sniproxy.operator.routes.RouteVerdict;
import io.sniproxy.operator.support.Conditions;
import io.sniproxy.operator.support.EventRecorder;
import io.sniproxy.operator.support.NamespaceTerminating;
import io.sniproxy.operator.support.OperatorMetrics;
import io.sniproxy.operator.support.ProxyRefs;
import io.sniproxy.operator.support.ResourceKeys;
import io.sniproxy.operator.watchdog.WatchdogState;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * SniProxy → ConfigMap (rendered config), Deployment, Service. The workflow is invoked explicitly:
 * when the spec cannot be rendered, nothing owned is touched, so the last good config stays in
 * force while the status says what to fix.
 */
@ControllerConfiguration(name = SniProxyReconciler.NAME,
        maxReconciliationInterval = @MaxReconciliationInterval(interval = 5, timeUnit = TimeUnit.MINUTES))
@Workflow(explicitInvocation = true, dependents = {
    @Dependent(name = "config", type = ConfigMapDependent.class),
    @Dependent(name = "deployment", type = DeploymentDependent.class, dependsOn = "config"),
    @Dependent(name = "service", type = ServiceDependent.class)
})
public class SniProxyReconciler implements Reconciler<SniProxy> {

    public static final String NAME = "sniproxy";
    static final String ROUTES = "sniroutes";
    static final String WATCHDOG = "watchdog";
    static final String BACKENDS = "backend-services";
    static final String PODS = "pods";
    /** How soon to look again when a route names a Service that does not exist yet. */
    static final Duration BACKEND_RETRY = Duration.ofSeconds(30);

    private final OperatorConfig config;
    private final WatchdogState watchdog;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    /** The config hash of the last ConfigRendered Event per proxy name (one short entry per name ever reconciled). */
    private final java.util.Map<ResourceID, String> lastAnnounced = new java.util.concurrent.ConcurrentHashMap<>();

    public SniProxyReconciler(OperatorConfig config, WatchdogState watchdog, EventRecorder events, OperatorMetrics metrics) {
        this.config = config;
        this.watchdog = watchdog;
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, SniProxy>> prepareEventSources(EventSourceContext<SniProxy> context) {
        InformerEventSource<SniRoute, SniProxy> routes = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(SniRoute.class, SniProxy.class)
                        .withName(ROUTES)
                        .withWatchAllNamespaces()
                        .withSecondaryToPrimaryMapper(r -> proxiesConcerned(r, context))
                        .build(),
                context);
        // The Services routes name: a new or changed one re-renders the proxies whose routes point at it.
        InformerEventSource<Service, SniProxy> backends = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Service.class, SniProxy.class)
                        .withName(BACKENDS)
                        .withWatchAllNamespaces()
                        .withSecondaryToPrimaryMapper(svc -> routes
                                .list(svc.getMetadata().getNamespace(), r -> BackendServices.names(r, svc))
                                .flatMap(r -> ProxyRefs.target(r).stream())
                                .collect(java.util.stream.Collectors.toSet()))
                        .build(),
                context);
        // The proxy pods the watchdog scrapes, mapped to their fleet by the instance label.
        InformerEventSource<Pod, SniProxy> pods = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Pod.class, SniProxy.class)
                        .withName(PODS)
                        .withWatchAllNamespaces()
                        .withLabelSelector("app.kubernetes.io/managed-by=" + ProxyLabels.MANAGED_BY)
                        .withSecondaryToPrimaryMapper(pod -> ProxyLabels.fleetOf(pod).map(Set::of).orElse(Set.of()))
                        .build(),
                context);
        SimpleInboundEventSource<SniProxy> trigger = new SimpleInboundEventSource<>(WATCHDOG);
        watchdog.attach(trigger, context.getPrimaryCache(), pods);
        return List.of(routes, backends, pods, trigger);
    }

    /**
     * The proxy a route names, plus any proxy whose config in force still renders it: when a route's
     * {@code proxyRef} moves, the old proxy must drop it, and the informer only sees the new object.
     */
    static Set<ResourceID> proxiesConcerned(SniRoute route, EventSourceContext<SniProxy> context) {
        Set<ResourceID> ids = new HashSet<>();
        ProxyRefs.target(route).ifPresent(ids::add);
        String prefix = ResourceKeys.of(route) + "@";
        context.getPrimaryCache()
                .list(p -> p.getStatus() != null && p.getStatus().routes != null
                        && p.getStatus().routes.stream().anyMatch(k -> k.startsWith(prefix)))
                .forEach(p -> ids.add(ResourceID.fromResource(p)));
        return ids;
    }

    @Override
    public UpdateControl<SniProxy> reconcile(SniProxy proxy, Context<SniProxy> context) {
        ResourceID id = ResourceID.fromResource(proxy);
        @SuppressWarnings("unchecked")
        InformerEventSource<SniRoute, SniProxy> routeSource = (InformerEventSource<SniRoute, SniProxy>) context
                .eventSourceRetriever().getEventSourceFor(SniRoute.class, ROUTES);
        List<SniRoute> attached = routeSource.list(r -> ProxyRefs.targets(r, id)).toList();
        RenderOutcome outcome = render(proxy, attached, BackendServices.lookup(context, BACKENDS), config);

        if (outcome.valid()) {
            context.managedWorkflowAndDependentResourceContext()
                    .put(DesiredState.KEY, new DesiredState(outcome.rendering().get(), config.proxyImage()));
            context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
        }
        Optional<String> inForce = context.getSecondaryResource(ConfigMap.class)
                .map(cm -> cm.getMetadata().getAnnotations())
                .map(a -> a.get(ProxyLabels.CONFIG_HASH_ANNOTATION));
        SniProxyStatus status = SniProxyStatusFactory.build(proxy, outcome, inForce,
                context.getSecondaryResource(Deployment.class), watchdog.health(id), Instant.now());
        announce(proxy, status);
        metrics.reconciled(NAME, outcome.valid() ? "rendered" : "invalid");

        // Status goes through the SDK (server-side apply of the status alone): its cache then holds what
        // was written, so the next pass compares against it and announces a transition once.
        UpdateControl<SniProxy> control = Objects.equals(status, proxy.getStatus())
                ? UpdateControl.noUpdate() : UpdateControl.patchStatus(withStatus(proxy, status));
        boolean waiting = outcome.verdicts().values().stream()
                .anyMatch(v -> RouteVerdict.BACKEND_NOT_FOUND.equals(v.reason()));
        return waiting ? control.rescheduleAfter(BACKEND_RETRY) : control;
    }

    /**
     * A failed pass (the API server refused a write, say) is reported on {@code Ready}; in a namespace
     * being deleted nothing is reported or retried: everything in it is going away.
     */
    @Override
    public ErrorStatusUpdateControl<SniProxy> updateErrorStatus(SniProxy proxy, Context<SniProxy> context, Exception e) {
        if (NamespaceTerminating.causedBy(e)) {
            return ErrorStatusUpdateControl.<SniProxy>noStatusUpdate().withNoRetry();
        }
        metrics.reconciled(NAME, "failed");
        SniProxyStatus status = SniProxyStatusFactory.failed(proxy, NamespaceTerminating.describe(e), Instant.now());
        return Objects.equals(status, proxy.getStatus()) ? ErrorStatusUpdateControl.noStatusUpdate()
                : ErrorStatusUpdateControl.patchStatus(withStatus(proxy, status));
    }

    /** Only name, namespace and status: what a server-side apply of the status subresource should carry. */
    static SniProxy withStatus(SniProxy proxy, SniProxyStatus status) {
        SniProxy patch = new SniProxy();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(proxy.getMetadata().getName())
                .withNamespace(proxy.getMetadata().getNamespace())
                .build());
        patch.setStatus(status);
        return patch;
    }

    /** Public for the SniRoute reconciler, so both see the same verdicts. */
    public static RenderOutcome render(SniProxy proxy, List<SniRoute> attached, BackendLookup lookup, OperatorConfig config) {
        Map<String, RouteVerdict> verdicts = new RouteAdmission(config.clusterDomain(), lookup)
                .admit(attached, ns -> namespaceRefusal(proxy, ns));
        Map<String, Long> generations = new HashMap<>();
        attached.forEach(r -> generations.put(ResourceKeys.of(r), r.getMetadata().getGeneration()));
        return new ConfigRenderer(config.listenHost()).render(proxy.getSpec(), verdicts, generations::get);
    }

    /** Gateway API's default: routes attach from the proxy's own namespace unless it names others. */
    static Optional<String> namespaceRefusal(SniProxy proxy, String routeNamespace) {
        String own = proxy.getMetadata().getNamespace();
        List<String> allowed = proxy.getSpec() == null ? null : proxy.getSpec().allowedRouteNamespaces;
        if (own.equals(routeNamespace) || (allowed != null && (allowed.contains("*") || allowed.contains(routeNamespace)))) {
            return Optional.empty();
        }
        return Optional.of("SniProxy " + ResourceKeys.of(proxy) + " does not accept routes from namespace '"
                + routeNamespace + "'; add it to the SniProxy's spec.allowedRouteNamespaces");
    }

    /** Events for changes a person would want to see in {@code kubectl describe}. */
    private void announce(SniProxy proxy, SniProxyStatus status) {
        List<io.fabric8.kubernetes.api.model.Condition> before = proxy.getStatus() == null ? List.of()
                : proxy.getStatus().conditions;
        var valid = Conditions.find(status.conditions, SniProxyStatusFactory.CONFIG_VALID).orElseThrow();
        var wasValid = Conditions.find(before, SniProxyStatusFactory.CONFIG_VALID);
        if (Conditions.FALSE.equals(valid.getStatus())
                && (wasValid.isEmpty() || !Objects.equals(wasValid.get().getMessage(), valid.getMessage()))) {
            events.warning(proxy, "InvalidSpec", valid.getMessage());
        }
        String oldHash = proxy.getStatus() == null ? null : proxy.getStatus().configHash;
        // The primary's status can be a pass behind (its own status patch not yet back from the
        // watch): the hash announced last for this proxy is remembered too, so one config is one Event.
        String announced = lastAnnounced.get(ResourceID.fromResource(proxy));
        if (status.configHash != null && !status.configHash.equals(oldHash) && !status.configHash.equals(announced)) {
            lastAnnounced.put(ResourceID.fromResource(proxy), status.configHash);
            events.normal(proxy, "ConfigRendered", "config " + status.configHash + " with " + status.routes.size()
                    + " route(s) written to ConfigMap " + ProxyLabels.configMapName(proxy)
                    + (oldHash == null ? "" : "; pods roll from config " + oldHash));
        }
    }
}
