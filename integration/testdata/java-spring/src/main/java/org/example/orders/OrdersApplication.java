package org.example.orders;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A minimal Spring Boot service: an order stored through JPA on /, health on /actuator/health. */
@SpringBootApplication
@RestController
public class OrdersApplication {
    private final OrderRepository orders;

    public OrdersApplication(OrderRepository orders) {
        this.orders = orders;
    }

    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }

    @GetMapping("/")
    public Map<String, Object> hello() {
        Order o = orders.save(new Order("hello from java-spring"));
        return Map.of("message", o.getItem(), "id", o.getId(), "orders", orders.count());
    }
}
