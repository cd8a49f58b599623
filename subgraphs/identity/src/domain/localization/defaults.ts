/**
 * The platform's default templates (version 1 of each), in en, nl, de and fr, for every required key. They are
 * written on start when missing and never overwrite a published version; later versions go through the API.
 */
type Texts = Record<string, string>;

const status = (texts: Record<string, string>) =>
  `{status, select, ${Object.entries(texts)
    .map(([k, v]) => `${k} {${v}}`)
    .join(' ')}}`;

const en: Texts = {
  'payment.request.email.subject': 'Your {merchant} order {reference}: pay on arrival',
  'payment.request.email.body':
    'Hello {name},\n\nYour order {reference} from {merchant} is on its way. Pay {amount, number, money} securely before or at delivery:\n{link}\n\nThe parcel is handed over once the payment is confirmed.',
  'payment.confirmed.email.subject': 'Payment received for your {merchant} order {reference}',
  'payment.confirmed.email.body': 'Hello {name},\n\nWe received your payment of {amount, number, money} for order {reference}. Thank you!',
  'consumer.payment.due': 'Pay {amount, number, money} to {merchant}',
  'consumer.payment.paid': 'Paid: {amount, number, money}',
  'notification.out_for_delivery.sms': '{merchant}: your order {reference} is out for delivery today. Track it with {trackingNumber}.',
  'notification.pickup.ready.email.subject': 'Your order {reference} is ready for pickup',
  'notification.pickup.ready.email.body':
    'Hello {name},\n\nYour order {reference} is ready for pickup. {days, plural, one {It waits # day} other {It waits # days}} before it goes back to the sender.',
  'consumer.tracking.status': status({
    LABEL_CREATED: 'Your order is being prepared',
    PICKED_UP: 'The carrier has your parcel',
    IN_TRANSIT: 'Your parcel is on its way',
    OUT_FOR_DELIVERY: 'Your parcel is out for delivery',
    DELIVERY_FAILED: 'We could not deliver your parcel',
    DELIVERED: 'Your parcel was delivered',
    RETURNED_TO_SENDER: 'Your parcel went back to the sender',
    other: 'Status unknown',
  }),
  'consumer.tracking.parcels': '{count, plural, =0 {No scans yet} one {# scan} other {# scans}}',
  'consumer.pickup.instructions':
    '{method, select, PICKUP_POINT {Collect your parcel at the pickup point: show the release code or QR code at the counter.} LOCKER {Open the locker with the release code or by scanning the QR code at the locker.} other {Show the release code or QR code to the driver at the door.}}',
  'consumer.pickup.code_pending': 'Your release code appears here once your payment is confirmed.',
  'consumer.return.started': 'Your return for order {reference} has been started.',
  'support.contact': 'Questions about your order? Contact {merchant} customer service.',
};

const nl: Texts = {
  'payment.request.email.subject': 'Je bestelling {reference} bij {merchant}: betalen bij aankomst',
  'payment.request.email.body':
    'Hallo {name},\n\nJe bestelling {reference} bij {merchant} is onderweg. Betaal {amount, number, money} veilig voor of bij de levering:\n{link}\n\nHet pakket wordt overhandigd zodra de betaling bevestigd is.',
  'payment.confirmed.email.subject': 'Betaling ontvangen voor je bestelling {reference} bij {merchant}',
  'payment.confirmed.email.body': 'Hallo {name},\n\nWe hebben je betaling van {amount, number, money} voor bestelling {reference} ontvangen. Bedankt!',
  'consumer.payment.due': 'Betaal {amount, number, money} aan {merchant}',
  'consumer.payment.paid': 'Betaald: {amount, number, money}',
  'notification.out_for_delivery.sms': '{merchant}: je bestelling {reference} wordt vandaag bezorgd. Volg ze met {trackingNumber}.',
  'notification.pickup.ready.email.subject': 'Je bestelling {reference} ligt klaar om op te halen',
  'notification.pickup.ready.email.body':
    'Hallo {name},\n\nJe bestelling {reference} ligt klaar om op te halen. {days, plural, one {Ze blijft # dag liggen} other {Ze blijft # dagen liggen}} voordat ze teruggaat naar de afzender.',
  'consumer.tracking.status': status({
    LABEL_CREATED: 'Je bestelling wordt klaargemaakt',
    PICKED_UP: 'De vervoerder heeft je pakket',
    IN_TRANSIT: 'Je pakket is onderweg',
    OUT_FOR_DELIVERY: 'Je pakket wordt vandaag bezorgd',
    DELIVERY_FAILED: 'We konden je pakket niet bezorgen',
    DELIVERED: 'Je pakket is bezorgd',
    RETURNED_TO_SENDER: 'Je pakket is teruggestuurd naar de afzender',
    other: 'Status onbekend',
  }),
  'consumer.tracking.parcels': '{count, plural, =0 {Nog geen scans} one {# scan} other {# scans}}',
  'consumer.pickup.instructions':
    '{method, select, PICKUP_POINT {Haal je pakket op bij het afhaalpunt: toon de vrijgavecode of QR-code aan de balie.} LOCKER {Open de pakketautomaat met de vrijgavecode of door de QR-code te scannen.} other {Toon de vrijgavecode of QR-code aan de bezorger aan de deur.}}',
  'consumer.pickup.code_pending': 'Je vrijgavecode verschijnt hier zodra je betaling bevestigd is.',
  'consumer.return.started': 'Je retour voor bestelling {reference} is gestart.',
  'support.contact': 'Vragen over je bestelling? Neem contact op met de klantenservice van {merchant}.',
};

const de: Texts = {
  'payment.request.email.subject': 'Ihre Bestellung {reference} bei {merchant}: Bezahlung bei Ankunft',
  'payment.request.email.body':
    'Hallo {name},\n\nIhre Bestellung {reference} bei {merchant} ist unterwegs. Bezahlen Sie {amount, number, money} sicher vor oder bei der Zustellung:\n{link}\n\nDas Paket wird übergeben, sobald die Zahlung bestätigt ist.',
  'payment.confirmed.email.subject': 'Zahlung für Ihre Bestellung {reference} bei {merchant} erhalten',
  'payment.confirmed.email.body': 'Hallo {name},\n\nwir haben Ihre Zahlung von {amount, number, money} für die Bestellung {reference} erhalten. Vielen Dank!',
  'consumer.payment.due': 'Zahlen Sie {amount, number, money} an {merchant}',
  'consumer.payment.paid': 'Bezahlt: {amount, number, money}',
  'notification.out_for_delivery.sms': '{merchant}: Ihre Bestellung {reference} wird heute zugestellt. Sendungsverfolgung: {trackingNumber}.',
  'notification.pickup.ready.email.subject': 'Ihre Bestellung {reference} liegt zur Abholung bereit',
  'notification.pickup.ready.email.body':
    'Hallo {name},\n\nIhre Bestellung {reference} liegt zur Abholung bereit. {days, plural, one {Sie wird # Tag aufbewahrt} other {Sie wird # Tage aufbewahrt}}, bevor sie an den Absender zurückgeht.',
  'consumer.tracking.status': status({
    LABEL_CREATED: 'Ihre Bestellung wird vorbereitet',
    PICKED_UP: 'Der Zusteller hat Ihr Paket',
    IN_TRANSIT: 'Ihr Paket ist unterwegs',
    OUT_FOR_DELIVERY: 'Ihr Paket wird heute zugestellt',
    DELIVERY_FAILED: 'Ihr Paket konnte nicht zugestellt werden',
    DELIVERED: 'Ihr Paket wurde zugestellt',
    RETURNED_TO_SENDER: 'Ihr Paket ging an den Absender zurück',
    other: 'Status unbekannt',
  }),
  'consumer.tracking.parcels': '{count, plural, =0 {Noch keine Scans} one {# Scan} other {# Scans}}',
  'consumer.pickup.instructions':
    '{method, select, PICKUP_POINT {Holen Sie Ihr Paket am Abholpunkt ab: Zeigen Sie den Freigabecode oder QR-Code am Schalter.} LOCKER {Öffnen Sie die Packstation mit dem Freigabecode oder durch Scannen des QR-Codes.} other {Zeigen Sie dem Zusteller an der Tür den Freigabecode oder QR-Code.}}',
  'consumer.pickup.code_pending': 'Ihr Freigabecode erscheint hier, sobald Ihre Zahlung bestätigt ist.',
  'consumer.return.started': 'Ihre Rücksendung für die Bestellung {reference} wurde gestartet.',
  'support.contact': 'Fragen zu Ihrer Bestellung? Wenden Sie sich an den Kundenservice von {merchant}.',
};

const fr: Texts = {
  'payment.request.email.subject': 'Votre commande {reference} chez {merchant} : paiement à la livraison',
  'payment.request.email.body':
    'Bonjour {name},\n\nVotre commande {reference} chez {merchant} est en route. Payez {amount, number, money} en toute sécurité avant ou à la livraison :\n{link}\n\nLe colis est remis dès que le paiement est confirmé.',
  'payment.confirmed.email.subject': 'Paiement reçu pour votre commande {reference} chez {merchant}',
  'payment.confirmed.email.body': 'Bonjour {name},\n\nNous avons bien reçu votre paiement de {amount, number, money} pour la commande {reference}. Merci !',
  'consumer.payment.due': 'Payez {amount, number, money} à {merchant}',
  'consumer.payment.paid': 'Payé : {amount, number, money}',
  'notification.out_for_delivery.sms': '{merchant} : votre commande {reference} est livrée aujourd’hui. Suivi : {trackingNumber}.',
  'notification.pickup.ready.email.subject': 'Votre commande {reference} est prête à être retirée',
  'notification.pickup.ready.email.body':
    'Bonjour {name},\n\nVotre commande {reference} est prête à être retirée. {days, plural, one {Elle est conservée # jour} other {Elle est conservée # jours}} avant de retourner à l’expéditeur.',
  'consumer.tracking.status': status({
    LABEL_CREATED: 'Votre commande est en préparation',
    PICKED_UP: 'Le transporteur a pris en charge votre colis',
    IN_TRANSIT: 'Votre colis est en route',
    OUT_FOR_DELIVERY: 'Votre colis est en cours de livraison',
    DELIVERY_FAILED: 'Votre colis n’a pas pu être livré',
    DELIVERED: 'Votre colis a été livré',
    RETURNED_TO_SENDER: 'Votre colis est retourné à l’expéditeur',
    other: 'Statut inconnu',
  }),
  'consumer.tracking.parcels': '{count, plural, =0 {Aucun scan pour l’instant} one {# scan} other {# scans}}',
  'consumer.pickup.instructions':
    '{method, select, PICKUP_POINT {Retirez votre colis au point relais : présentez le code de retrait ou le QR code au comptoir.} LOCKER {Ouvrez la consigne avec le code de retrait ou en scannant le QR code.} other {Présentez le code de retrait ou le QR code au livreur à la porte.}}',
  'consumer.pickup.code_pending': 'Votre code de retrait apparaît ici dès que votre paiement est confirmé.',
  'consumer.return.started': 'Votre retour pour la commande {reference} a été lancé.',
  'support.contact': 'Des questions sur votre commande ? Contactez le service client de {merchant}.',
};

export const PLATFORM_DEFAULT_TEMPLATES: Readonly<Record<string, Texts>> = { en, nl, de, fr };
export const PLATFORM_DEFAULT_LOCALES = Object.keys(PLATFORM_DEFAULT_TEMPLATES);
