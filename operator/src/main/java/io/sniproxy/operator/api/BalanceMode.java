package io.sniproxy.operator.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sniproxy.config.Balance;

/** How a route with several backend addresses picks one; spelled as in the file. */
public enum BalanceMode {
    @JsonProperty("roundrobin") ROUNDROBIN(Balance.ROUNDROBIN),
    @JsonProperty("leastconn") LEASTCONN(Balance.LEASTCONN),
    @JsonProperty("source") SOURCE(Balance.SOURCE);

    private final Balance config;

    BalanceMode(Balance config) {
        this.config = config;
    }

    public Balance config() {
        return config;
    }
}
