package io.sniproxy.operator.watchdog;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sniproxy.operator.OperatorConfig;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.render.ProxySpecCheck;
import io.sniproxy.operator.support.Conditions;
import io.sniproxy.operator.support.EventRecorder;
import io.sniproxy.operator.support.OperatorMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Every interval: scrape each ready proxy pod (at most {@code scrape-parallelism} at once), keep a
 * window per pod, judge it ({@link FdAssessment}), hand the verdict to the reconciler
 * ({@link WatchdogState}), emit Events for new findings, and, when a fleet opts in, evict the worst
 * leaking pod so its Deployment replaces it: one pod at a time, only while every other pod is ready,
 * never the last ready one, and through the Eviction API so PodDisruptionBudgets hold.
 * SniProxies and pods come from the reconciler's informer caches.
 */
@ApplicationScoped
public class FdWatchdog {

    private static final Logger LOG = Logger.getLogger(FdWatchdog.class);

    private final KubernetesClient client;
    private final OperatorConfig config;
    private final WatchdogState state;
    private final EventRecorder events;
    private final OperatorMetrics metrics;
    private final Map<String, PodWindow> windows = new HashMap<>();
    private final Map<String, Set<String>> reported = new HashMap<>();
    private ScheduledExecutorService scheduler;
    private ExecutorService scrapers;
    private MetricsScraper scraper;

    public FdWatchdog(KubernetesClient client, OperatorConfig config, WatchdogState state, EventRecorder events,
            OperatorMetrics metrics) {
        this.client = client;
        this.config = config;
        this.state = state;
        this.events = events;
        this.metrics = metrics;
    }

    void start(@Observes StartupEvent event) {
        scraper = new MetricsScraper(config.watchdog().scrapeTimeout());
        AtomicInteger n = new AtomicInteger();
        scrapers = Executors.newFixedThreadPool(config.watchdog().scrapeParallelism(), r -> {
            Thread t = new Thread(r, "sniproxy-fd-scrape-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        long interval = config.watchdog().interval().toMillis();
        if (interval <= 0) {
            LOG.info("fd watchdog: scheduled scraping is off (sniproxy.operator.watchdog.interval=0)");
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sniproxy-fd-watchdog");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::safeRun, interval, interval, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (scrapers != null) {
            scrapers.shutdownNow();
        }
        if (scraper != null) {
            scraper.close();
        }
    }

    private void safeRun() {
        try {
            runOnce();
        } catch (KubernetesClientException e) {
            LOG.warnf("fd watchdog pass skipped: the API server said: %s", e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("fd watchdog pass failed", e);
        }
    }

    /** One pass over every SniProxy. Synchronized: the scheduler and tests may both call it. */
    public synchronized void runOnce() {
        Set<String> seenPods = new HashSet<>();
        Set<ResourceID> seenProxies = new HashSet<>();
        for (SniProxy proxy : state.proxies()) {
            ResourceID id = ResourceID.fromResource(proxy);
            seenProxies.add(id);
            FdThresholds thresholds = FdThresholds.of(proxy.getSpec() == null ? null : proxy.getSpec().watchdog);
            if (!thresholds.enabled()) {
                state.update(id, ProxyHealth.notScraped("WatchdogDisabled", "spec.watchdog.enabled is false"));
                continue;
            }
            checkFleet(proxy, id, thresholds, seenPods);
        }
        state.retainOnly(seenProxies);
        windows.keySet().retainAll(seenPods);
        reported.keySet().retainAll(seenPods);
    }

    private void checkFleet(SniProxy proxy, ResourceID id, FdThresholds thresholds, Set<String> seenPods) {
        String ns = proxy.getMetadata().getNamespace();
        List<Pod> pods = state.pods(proxy);
        List<Pod> ready = pods.stream().filter(FdWatchdog::isReady).toList();
        int port = ProxySpecCheck.managementPort(proxy.getSpec());
        List<PrometheusText.ParseResult> results = scrapeAll(ready, port);
        List<PodFinding> findings = new ArrayList<>();
        for (int i = 0; i < ready.size(); i++) {
            Pod pod = ready.get(i);
            String name = pod.getMetadata().getName();
            String key = ns + "/" + name;
            seenPods.add(key);
            PrometheusText.ParseResult result = results.get(i);
            metrics.scraped(result.sample().isPresent());
            List<PodFinding> podFindings;
            if (result.sample().isPresent()) {
                PodWindow window = windows.computeIfAbsent(key, k -> new PodWindow());
                window.add(result.sample().get(), thresholds.windowSamples());
                podFindings = FdAssessment.assess(name, window.samples(), thresholds);
            } else {
                podFindings = List.of(new PodFinding(name, PodFinding.Kind.UNREACHABLE,
                        "pod " + name + ": " + result.problem().orElse("no sample"), 0));
            }
            podFindings.forEach(f -> metrics.finding(f.kind().metricTag));
            reportNew(proxy, key, podFindings);
            findings.addAll(podFindings);
        }
        state.update(id, summarize(ready.size(), findings));
        if (thresholds.restartLeakingPods()) {
            restartWorst(proxy, pods, ready, findings);
        }
    }

    /** Scrapes the pods concurrently, bounded by the scraper pool; results in the pods' order. */
    private List<PrometheusText.ParseResult> scrapeAll(List<Pod> pods, int port) {
        List<Future<PrometheusText.ParseResult>> pending = pods.stream()
                .map(p -> scrapers.submit(() -> scraper.scrape(p.getStatus().getPodIP(), port)))
                .toList();
        List<PrometheusText.ParseResult> results = new ArrayList<>(pending.size());
        for (Future<PrometheusText.ParseResult> f : pending) {
            try {
                results.add(f.get());
            } catch (ExecutionException e) {
                results.add(PrometheusText.ParseResult.failed("scrape failed: " + e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                results.add(PrometheusText.ParseResult.failed("interrupted"));
            }
        }
        return results;
    }

    /** The pods of a fleet the watchdog would scrape now (ready, with an IP), as its informer sees them. */
    public List<Pod> readyPods(SniProxy proxy) {
        return state.pods(proxy).stream().filter(FdWatchdog::isReady).toList();
    }

    /** An Event when a pod gains a finding; nothing while it persists. */
    private void reportNew(SniProxy proxy, String podKey, List<PodFinding> podFindings) {
        Set<String> now = podFindings.stream().map(f -> f.kind().name()).collect(Collectors.toSet());
        Set<String> before = reported.getOrDefault(podKey, Set.of());
        for (PodFinding f : podFindings) {
            if (!before.contains(f.kind().name())) {
                events.warning(proxy, f.kind().reason, f.message());
            }
        }
        reported.put(podKey, now);
    }

    static ProxyHealth summarize(int readyPods, List<PodFinding> findings) {
        List<PodFinding> pooling = findings.stream().filter(f -> f.kind() == PodFinding.Kind.POOLING_ACTIVE).toList();
        String poolStatus = pooling.isEmpty() ? Conditions.TRUE : Conditions.FALSE;
        String poolReason = pooling.isEmpty() ? "NotConfigurable" : PodFinding.Kind.POOLING_ACTIVE.reason;
        String poolMessage = pooling.isEmpty() ? ProxyHealth.POOLING_OFF_MESSAGE : join(pooling);

        List<PodFinding> fd = findings.stream().filter(f -> f.kind().isFdProblem()).toList();
        List<PodFinding> unreachable = findings.stream().filter(f -> f.kind() == PodFinding.Kind.UNREACHABLE).toList();
        if (!fd.isEmpty()) {
            PodFinding.Kind kind = fd.stream().anyMatch(f -> f.kind() == PodFinding.Kind.FD_LEAK)
                    ? PodFinding.Kind.FD_LEAK : PodFinding.Kind.FD_HIGH_WATER;
            return new ProxyHealth(Conditions.FALSE, kind.reason, join(fd), poolStatus, poolReason, poolMessage);
        }
        if (!unreachable.isEmpty()) {
            return new ProxyHealth(Conditions.UNKNOWN, PodFinding.Kind.UNREACHABLE.reason, join(unreachable),
                    poolStatus, poolReason, poolMessage);
        }
        if (readyPods == 0) {
            return new ProxyHealth(Conditions.UNKNOWN, "NoReadyPods", "no ready pod to scrape", poolStatus, poolReason,
                    poolMessage);
        }
        return new ProxyHealth(Conditions.TRUE, "WithinLimits", readyPods + " ready pod(s): open file descriptors "
                + "below the high-water mark and not growing without connections", poolStatus, poolReason, poolMessage);
    }

    private static String join(List<PodFinding> findings) {
        return findings.stream().sorted(Comparator.comparing(PodFinding::pod)).map(PodFinding::message)
                .collect(Collectors.joining("; "));
    }

    private void restartWorst(SniProxy proxy, List<Pod> pods, List<Pod> ready, List<PodFinding> findings) {
        Optional<PodFinding> worst = findings.stream()
                .filter(f -> f.kind().isFdProblem())
                .max(Comparator.comparingDouble(PodFinding::severity).thenComparing(PodFinding::pod));
        if (worst.isEmpty()) {
            return;
        }
        String name = worst.get().pod();
        if (ready.size() < 2) {
            LOG.infof("not restarting pod %s: it is the last ready pod of %s", name, proxy.getMetadata().getName());
            return;
        }
        if (ready.size() < pods.size()) {
            LOG.infof("not restarting pod %s yet: %d of %d pods ready (one restart at a time)", name, ready.size(),
                    pods.size());
            return;
        }
        Optional<Pod> pod = ready.stream().filter(p -> p.getMetadata().getName().equals(name)).findFirst();
        if (pod.isEmpty()) {
            return;
        }
        // An eviction, not a delete: the API server refuses it (429) while a PodDisruptionBudget forbids it.
        if (!client.pods().resource(pod.get()).evict()) {
            LOG.infof("not restarting pod %s now: its eviction is refused by a PodDisruptionBudget", name);
            return;
        }
        windows.remove(pod.get().getMetadata().getNamespace() + "/" + name);
        metrics.restarted();
        events.normal(proxy, "RestartedLeakingPod", "evicted pod " + name + " so its Deployment replaces it: "
                + worst.get().message());
    }

    static boolean isReady(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null
                || pod.getStatus().getPodIP() == null || pod.getStatus().getConditions() == null) {
            return false;
        }
        return pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && Conditions.TRUE.equals(c.getStatus()));
    }
}
