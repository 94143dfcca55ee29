package org.example.fail;

public class Main {
    public static void main(String[] args) {
        System.out.println(greeting);
    }
}
