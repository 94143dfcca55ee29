document.getElementById("root").textContent = "storefront";
