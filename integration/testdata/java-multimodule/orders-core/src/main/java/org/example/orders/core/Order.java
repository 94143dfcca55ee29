package org.example.orders.core;

import java.util.List;

/** An order: an id and its lines. */
public record Order(String id, List<Line> lines) {
    /** One line of an order: a product, a quantity and a unit price in cents. */
    public record Line(String product, int quantity, long unitCents) {
        public Line {
            if (quantity <= 0) throw new IllegalArgumentException("quantity must be positive: " + quantity);
            if (unitCents < 0) throw new IllegalArgumentException("unit price must not be negative: " + unitCents);
        }
    }

    public Order {
        lines = List.copyOf(lines);
    }

    /** The order's total in cents. */
    public long totalCents() {
        return lines.stream().mapToLong(l -> Math.multiplyExact(l.quantity(), l.unitCents())).sum();
    }
}
