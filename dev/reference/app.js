// The reference page of `cargo xtask bench`: what a plain page does with Auth0's own SDK, against
// the same local provider and with the same data-testid contract as the app.
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const show = (status, user) => {
  $('auth-status').textContent = status;
  $('user-name').textContent = user ? user.name : '';
  $('sign-in').hidden = status === 'signed-in';
  $('sign-in').disabled = false;
  $('sign-out').hidden = status !== 'signed-in';
};

(async () => {
  const auth0 = await window.auth0.createAuth0Client({
    domain: 'http://127.0.0.1:4000',
    clientId: 'auth0-spa-js-reference',
    useRefreshTokens: true,
    // With the default memory cache the SDK makes its token requests from a Web Worker, which
    // DevTools' network emulation does not slow down: the bench would time them unthrottled.
    cacheLocation: 'localstorage',
    authorizationParams: {
      redirect_uri: `${location.origin}/callback`,
      audience: 'https://api.leptos-pkce.test',
      scope: 'openid profile email offline_access read:messages',
    },
  });
  $('sign-in').onclick = () => auth0.loginWithRedirect({ appState: { returnTo: location.pathname } });
  $('sign-out').onclick = () => auth0.logout({ logoutParams: { returnTo: `${location.origin}/` } });
  try {
    if (location.pathname === '/callback') {
      const { appState } = await auth0.handleRedirectCallback();
      history.replaceState(null, '', appState?.returnTo ?? '/');
    }
  } catch (error) {
    $('auth-error').textContent = `${error.error ?? 'error'}: ${error.message}`;
  }
  const signedIn = await auth0.isAuthenticated();
  show(signedIn ? 'signed-in' : 'signed-out', signedIn ? await auth0.getUser() : null);
})();
