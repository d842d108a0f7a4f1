package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The fd/pooling watchdog's thresholds for this fleet. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WatchdogSpec {

    @JsonPropertyDescription("Scrape the pods' metrics (default true).")
    public Boolean enabled;

    @JsonPropertyDescription("FdHealthy=False when open fds pass this fraction of process_max_fds (default 0.8).")
    @Min(0.05)
    @Max(1.0)
    public Double fdHighWaterRatio;

    @JsonPropertyDescription("Samples per pod in the leak window (default 6).")
    @Min(3)
    @Max(60)
    public Integer windowSamples;

    @JsonPropertyDescription("Open-fd growth across a full window, beyond what new connections explain, that counts as a leak (default 64).")
    @Min(1)
    public Integer leakGrowthFds;

    @JsonPropertyDescription("Delete the worst leaking pod (one at a time, never the last ready one) so its Deployment replaces it (default false).")
    public Boolean restartLeakingPods;
}
