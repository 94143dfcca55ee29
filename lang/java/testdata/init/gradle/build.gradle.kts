plugins {
    java
    application
}

application {
    mainClass.set("demo.App")
}
