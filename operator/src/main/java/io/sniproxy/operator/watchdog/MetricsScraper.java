package io.sniproxy.operator.watchdog;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** One bounded GET of a pod's {@code /q/metrics}. */
public final class MetricsScraper implements AutoCloseable {

    private final HttpClient http;
    private final Duration timeout;

    public MetricsScraper(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public PrometheusText.ParseResult scrape(String podIp, int port) {
        String host = podIp.indexOf(':') >= 0 ? "[" + podIp + "]" : podIp;
        URI uri = URI.create("http://" + host + ":" + port + "/q/metrics");
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return PrometheusText.ParseResult.failed(uri + " answered HTTP " + response.statusCode());
            }
            return PrometheusText.parse(response.body());
        } catch (HttpTimeoutException e) {
            return PrometheusText.ParseResult.failed(uri + " did not answer within " + timeout.toMillis() + "ms");
        } catch (IOException e) {
            return PrometheusText.ParseResult.failed(uri + " unreachable: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return PrometheusText.ParseResult.failed("interrupted");
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
