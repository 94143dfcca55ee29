package org.example.orders;

import org.springframework.data.jpa.repository.JpaRepository;

/** Spring Data makes the implementation at run time. */
public interface OrderRepository extends JpaRepository<Order, Long> {}
