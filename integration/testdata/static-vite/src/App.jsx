export default function App() {
  const page = window.location.pathname;
  return (
    <main>
      <h1>static-vite</h1>
      <p>You are at {page}.</p>
    </main>
  );
}
