package com.acme.billing;

import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class InvoiceController {
    @GetMapping("/invoices")
    public List<String> invoices() {
        return List.of();
    }
}
