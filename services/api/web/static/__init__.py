"""The page's static files (app.js, app.css); a package so that wheels carry them."""
