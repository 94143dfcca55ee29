package org.example.orders.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.example.orders.core.Order;

/**
 * The orders HTTP service: /healthz, and / answers a sample order with its
 * total (from orders-core). Listens on {@code --listen=HOST:PORT}, else :8080.
 */
public final class OrdersApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OrdersApi() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = 8080;
        for (String arg : args) {
            if (arg.startsWith("--listen=")) port = Integer.parseInt(arg.substring(arg.lastIndexOf(':') + 1));
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/healthz", ex -> reply(ex, 200, "ok\n".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/", ex -> {
            Order order = new Order("A-1", List.of(new Order.Line("widget", 3, 250), new Order.Line("gadget", 1, 1999)));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("order", order.id());
            body.put("totalCents", order.totalCents());
            reply(ex, 200, JSON.writeValueAsBytes(body));
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("shutting down");
            server.stop(1);
            log("stopped");
            stopped.countDown();
        }, "shutdown"));
        server.start();
        log("listening on :" + port);
        stopped.await();
    }

    private static void reply(HttpExchange ex, int status, byte[] body) throws IOException {
        try (ex; OutputStream out = ex.getResponseBody()) {
            ex.sendResponseHeaders(status, body.length);
            out.write(body);
        }
    }

    private static void log(String msg) {
        try {
            System.out.println(JSON.writeValueAsString(Map.of("time", Instant.now().toString(), "level", "info", "msg", msg)));
        } catch (IOException e) {
            System.out.println("{\"level\":\"error\",\"msg\":\"log line not encoded\"}");
        }
    }
}
