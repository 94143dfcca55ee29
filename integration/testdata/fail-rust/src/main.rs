fn main() {
    println!("{}", greeting);
}
