package org.example.greetings

import org.springframework.boot.autoconfigure.SpringBootApplication
import org.springframework.boot.runApplication
import org.springframework.web.bind.annotation.GetMapping
import org.springframework.web.bind.annotation.RestController

@SpringBootApplication
class GreetingsApplication

// Kotlin puts main in GreetingsApplicationKt: the one class with a main
// method, which is how Spring Boot finds it.
fun main(args: Array<String>) {
    runApplication<GreetingsApplication>(*args)
}

@RestController
class GreetingController {
    @GetMapping("/")
    fun hello() = mapOf("message" to "hello from Kotlin")
}
