// Placeholder for the cart module: pages work fully without it.
document.documentElement.classList.add('js');
