package io.sniproxy.operator.watchdog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FdAssessmentTest {

    final FdThresholds t = new FdThresholds(true, 0.8, 6, 64, false);

    @Test
    void steadyGrowthWithFlatConnectionsIsALeak() {
        List<PodFinding> f = FdAssessment.assess("p", series(100, 30, 0, 0), t);
        assertThat(f).extracting(PodFinding::kind).containsExactly(PodFinding.Kind.FD_LEAK);
        assertThat(f.get(0).message()).contains("rose from 100 to 250 over 6 samples").contains("from 10 to 10");
    }

    @Test
    void growthExplainedByNewConnectionsIsNotALeak() {
        // 30 more fds per sample, 15 more connections per sample: two sockets each.
        assertThat(FdAssessment.assess("p", series(100, 30, 15, 0), t)).isEmpty();
    }

    @Test
    void growthBelowTheThresholdOrNotSteadyIsNotALeak() {
        assertThat(FdAssessment.assess("p", series(100, 10, 0, 0), t)).isEmpty();
        List<MetricsSample> dip = new ArrayList<>(series(100, 40, 0, 0));
        dip.set(3, new MetricsSample(90, 65536, 10, 0, 0));
        assertThat(FdAssessment.assess("p", dip, t)).isEmpty();
    }

    @Test
    void aWindowNotYetFullJudgesNoLeak() {
        assertThat(FdAssessment.assess("p", series(100, 100, 0, 0).subList(0, 5), t)).isEmpty();
    }

    @Test
    void highWaterAndPoolingAreJudgedOnTheLatestSample() {
        List<PodFinding> f = FdAssessment.assess("p", List.of(new MetricsSample(900, 1000, 5, 3, 1)), t);
        assertThat(f).extracting(PodFinding::kind)
                .containsExactly(PodFinding.Kind.POOLING_ACTIVE, PodFinding.Kind.FD_HIGH_WATER);
        assertThat(f.get(1).message()).contains("900 of 1000").contains("90%");
    }

    @Test
    void prometheusTextIsSummedAcrossListeners() {
        PrometheusText.ParseResult r = PrometheusText.parse("""
                # HELP process_open_fds open fds
                # TYPE process_open_fds gauge
                process_open_fds 123.0
                process_max_fds 1048576.0
                sniproxy_connections_active{listener="https"} 4.0
                sniproxy_connections_active{listener="h3",zone="a b"} 3.0
                sniproxy_pool_size 0.0
                sniproxy_pool_active_connections 0.0
                http_server_requests_seconds_count{uri="/q/metrics"} 12
                """);
        assertThat(r.sample()).contains(new MetricsSample(123, 1048576, 7, 0, 0));
        assertThat(PrometheusText.parse("up 1\n").problem()).hasValueSatisfying(p -> p.contains("process_open_fds"));
        assertThat(PrometheusText.parse("process_open_fds abc\nprocess_max_fds 1").problem())
                .hasValueSatisfying(p -> p.contains("malformed value"));
    }

    private static List<MetricsSample> series(double start, double fdStep, double connStep, double pool) {
        List<MetricsSample> s = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            s.add(new MetricsSample(start + i * fdStep, 65536, 10 + i * connStep, pool, 0));
        }
        return s;
    }
}
